# The router's task definition and its log group. The container's settings mirror
# ../ecs/task-definition.json (a test keeps both in step).

data "aws_region" "current" {}

locals {
  # The router's defaults (RouterConfig): traffic on 8080 with GET /health, admin on 9901.
  container_port = 8080
  admin_port     = 9901
  health_path    = "/health"

  # ECS sends SIGKILL stopTimeout seconds after SIGTERM: the router drains (/health 503, still
  # serving), then gives requests in flight the grace, then exits; the margin is for the JVM.
  stop_timeout = var.shutdown_drain_seconds + var.shutdown_grace_seconds + var.stop_timeout_margin_seconds

  deregistration_delay = coalesce(var.deregistration_delay_seconds, var.shutdown_grace_seconds)

  namespace_name = var.create_namespace ? aws_service_discovery_private_dns_namespace.this[0].name : var.namespace_name

  # The image (eclipse-temurin JRE, Ubuntu) is not promised curl or wget, and the jar has no
  # check of its own, but it has bash: an HTTP/1.0 GET /health over bash's /dev/tcp (not sh's,
  # hence CMD bash -c), healthy on a 200 only (the router answers 503 while it drains).
  health_check_command = [
    "CMD",
    "bash",
    "-c",
    "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '",
  ]

  base_environment = {
    WHALERAY_DISCOVERY      = var.discovery
    WHALERAY_NAMESPACE      = local.namespace_name
    WHALERAY_BACKEND_PORT   = tostring(var.backend_port)
    WHALERAY_LB             = var.lb_policy
    WHALERAY_SHUTDOWN_DRAIN = "${var.shutdown_drain_seconds}s"
    WHALERAY_SHUTDOWN_GRACE = "${var.shutdown_grace_seconds}s"
    WHALERAY_REGISTRY       = var.admin_registry
    AWS_REGION              = data.aws_region.current.name
  }
  dns_environment = {
    WHALERAY_DNS_SERVERS = var.dns_servers
    WHALERAY_DNS_VALID   = var.dns_valid
  }
  api_environment = {
    WHALERAY_CLOUDMAP_REFRESH = var.cloudmap_refresh
  }
  environment = merge(
    local.base_environment,
    var.discovery == "cloudmap-dns" ? local.dns_environment : {},
    var.discovery == "cloudmap-api" ? local.api_environment : {},
    var.extra_environment,
  )

  port_mappings = concat(
    [{ containerPort = local.container_port, hostPort = 0, protocol = "tcp" }],
    var.expose_admin_port ? [{ containerPort = local.admin_port, hostPort = 0, protocol = "tcp" }] : [],
  )

  secrets = var.admin_token_secret_arn == null ? [] : [
    { name = "WHALERAY_ADMIN_TOKEN", valueFrom = var.admin_token_secret_arn },
  ]

  container_definition = {
    name              = var.name
    image             = var.image
    essential         = true
    cpu               = var.cpu
    memory            = var.memory
    memoryReservation = var.memory_reservation
    portMappings      = local.port_mappings
    environment       = [for k in sort(keys(local.environment)) : { name = k, value = local.environment[k] }]
    secrets           = local.secrets
    stopTimeout       = local.stop_timeout
    healthCheck = {
      command     = local.health_check_command
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.router.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "router"
      }
    }
  }
}

resource "aws_cloudwatch_log_group" "router" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_ecs_task_definition" "router" {
  family                   = var.name
  network_mode             = "bridge"
  requires_compatibilities = ["EC2"]
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.container_definition])
  tags                     = var.tags

  lifecycle {
    precondition {
      condition     = local.stop_timeout <= 120
      error_message = "shutdown_drain_seconds + shutdown_grace_seconds + stop_timeout_margin_seconds must be at most 120 (ECS's largest stopTimeout on EC2)."
    }
    precondition {
      condition     = var.admin_registry != "cloudmap" || var.discovery == "cloudmap-api"
      error_message = "admin_registry = \"cloudmap\" needs discovery = \"cloudmap-api\" (registrations are read back through DiscoverInstances)."
    }
  }
}
