# Inputs of the WhaleRay reference router module. Router settings mirror the WHALERAY_* variables
# of the root README's configuration reference; their defaults are the router's own.

variable "name" {
  description = "Name of the router's ECS service, task family, container, target group and IAM roles (prefix)."
  type        = string
  default     = "whaleray-router"

  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,28}$", var.name))
    error_message = "name: 1-28 letters, digits or '-' (the target group name is at most 32 characters)."
  }
}

variable "vpc_id" {
  description = "VPC of the ECS container instances, the ALB and the Cloud Map private DNS namespace."
  type        = string
}

variable "cluster_arn" {
  description = "ARN of the ECS cluster (EC2 capacity) the router service runs in."
  type        = string
}

variable "listener_arn" {
  description = "ARN of the ALB listener that gets the rule forwarding /services/* to the router."
  type        = string
}

variable "listener_rule_priority" {
  description = "Priority of the listener rule (1-50000, unique on the listener)."
  type        = number
  default     = 100
}

variable "listener_path_patterns" {
  description = "Path patterns the listener rule forwards to the router."
  type        = list(string)
  default     = ["/services/*"]
}

variable "image" {
  description = "Container image of the router (built from examples/reference-router/Dockerfile), e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/whaleray-router:1.0.0."
  type        = string
}

variable "create_namespace" {
  description = "Create the Cloud Map private DNS namespace; false to use an existing one named namespace_name."
  type        = bool
  default     = true
}

variable "namespace_name" {
  description = "Cloud Map private DNS namespace of the services (WHALERAY_NAMESPACE)."
  type        = string
  default     = "whaleray.local"
}

variable "discovery" {
  description = "WHALERAY_DISCOVERY: cloudmap-dns (SRV/A records through the VPC resolver, no IAM) or cloudmap-api (DiscoverInstances)."
  type        = string
  default     = "cloudmap-dns"

  validation {
    condition     = contains(["cloudmap-dns", "cloudmap-api", "static"], var.discovery)
    error_message = "discovery: cloudmap-dns, cloudmap-api or static."
  }
}

variable "dns_servers" {
  description = "WHALERAY_DNS_SERVERS for cloudmap-dns: the VPC resolver by default."
  type        = string
  default     = "169.254.169.253"
}

variable "dns_valid" {
  description = "WHALERAY_DNS_VALID: cache DNS answers this long (like nginx valid=)."
  type        = string
  default     = "10s"
}

variable "cloudmap_refresh" {
  description = "WHALERAY_CLOUDMAP_REFRESH for cloudmap-api: poll interval of watched services."
  type        = string
  default     = "5s"
}

variable "backend_port" {
  description = "WHALERAY_BACKEND_PORT: port of services found by A records only (SRV records carry the dynamic host port)."
  type        = number
  default     = 3000
}

variable "lb_policy" {
  description = "WHALERAY_LB: round-robin, random, weighted, least-connections or consistent-hash."
  type        = string
  default     = "least-connections"
}

variable "shutdown_drain_seconds" {
  description = "WHALERAY_SHUTDOWN_DRAIN: seconds after SIGTERM during which /health answers 503 while requests are still served."
  type        = number
  default     = 5

  validation {
    condition     = var.shutdown_drain_seconds >= 0 && var.shutdown_drain_seconds <= 60 && floor(var.shutdown_drain_seconds) == var.shutdown_drain_seconds
    error_message = "shutdown_drain_seconds: a whole number from 0 to 60."
  }
}

variable "shutdown_grace_seconds" {
  description = "WHALERAY_SHUTDOWN_GRACE: seconds, after the drain, for requests in flight to finish before the router exits."
  type        = number
  default     = 20

  validation {
    condition     = var.shutdown_grace_seconds >= 1 && var.shutdown_grace_seconds <= 110 && floor(var.shutdown_grace_seconds) == var.shutdown_grace_seconds
    error_message = "shutdown_grace_seconds: a whole number from 1 to 110."
  }
}

variable "stop_timeout_margin_seconds" {
  description = "Seconds added to drain + grace for the container's stopTimeout (ECS sends SIGKILL after it; at most 120 in all)."
  type        = number
  default     = 5

  validation {
    condition     = var.stop_timeout_margin_seconds >= 1
    error_message = "stop_timeout_margin_seconds: at least 1, so that the router exits before SIGKILL."
  }
}

variable "expose_admin_port" {
  description = "Map the admin port 9901 (/metrics, admin API) to a dynamic host port. Keep it off the ALB and inside the security group."
  type        = bool
  default     = false
}

variable "admin_token_secret_arn" {
  description = "ARN of a Secrets Manager secret or SSM parameter holding WHALERAY_ADMIN_TOKEN; null leaves admin writes off (403)."
  type        = string
  default     = null
}

variable "admin_registry" {
  description = "WHALERAY_REGISTRY: memory (registrations per task) or cloudmap (RegisterInstance in the namespace; needs discovery = cloudmap-api, grants the task role the write actions)."
  type        = string
  default     = "memory"

  validation {
    condition     = contains(["memory", "cloudmap"], var.admin_registry)
    error_message = "admin_registry: memory or cloudmap."
  }
}

variable "extra_environment" {
  description = "More container environment variables (name => value), e.g. WHALERAY_RATE_LIMIT or WHALERAY_HEALTH_CHECK_PATH."
  type        = map(string)
  default     = {}
}

variable "cpu" {
  description = "CPU units reserved for the task (1024 = one vCPU)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Hard memory limit of the container in MiB (the JVM heap is 75 % of it)."
  type        = number
  default     = 512
}

variable "memory_reservation" {
  description = "Soft memory reservation of the container in MiB."
  type        = number
  default     = 256
}

variable "desired_count" {
  description = "Tasks at creation; auto scaling moves it between min_capacity and max_capacity afterwards."
  type        = number
  default     = 2
}

variable "min_capacity" {
  description = "Fewest router tasks auto scaling keeps."
  type        = number
  default     = 2
}

variable "max_capacity" {
  description = "Most router tasks auto scaling starts."
  type        = number
  default     = 10
}

variable "cpu_target_percent" {
  description = "Target of the ECSServiceAverageCPUUtilization tracking policy."
  type        = number
  default     = 60
}

variable "health_check_grace_period_seconds" {
  description = "Seconds ECS ignores failing ALB health checks of a new task (JVM start-up)."
  type        = number
  default     = 60
}

variable "deployment_minimum_healthy_percent" {
  description = "Share of desired tasks kept running during a deployment."
  type        = number
  default     = 100
}

variable "deployment_maximum_percent" {
  description = "Upper bound of running tasks during a deployment, in percent of the desired count."
  type        = number
  default     = 200
}

variable "health_check_interval_seconds" {
  description = "ALB target group health check interval (ALB default 30)."
  type        = number
  default     = 30
}

variable "health_check_timeout_seconds" {
  description = "ALB target group health check timeout (ALB default for HTTP targets 5)."
  type        = number
  default     = 5
}

variable "healthy_threshold" {
  description = "Consecutive passing ALB health checks before a target is healthy (ALB default 5)."
  type        = number
  default     = 5
}

variable "unhealthy_threshold" {
  description = "Consecutive failing ALB health checks before a target is unhealthy (ALB default 2)."
  type        = number
  default     = 2
}

variable "log_retention_days" {
  description = "Retention of the router's CloudWatch log group."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}

variable "slow_start_seconds" {
  description = "ALB slow start: a new router task's share of requests ramps up linearly over this time (30-900 s, 0 off). Its first 5 s under full load run at about a quarter of its steady throughput while the JIT compiles (jmh/RESULTS.md, Warm-up)."
  type        = number
  default     = 60

  validation {
    condition     = var.slow_start_seconds == 0 || (var.slow_start_seconds >= 30 && var.slow_start_seconds <= 900)
    error_message = "slow_start_seconds must be 0 (off) or 30-900 (the ALB's range)."
  }
}

variable "deregistration_delay_seconds" {
  description = "ALB deregistration delay; null means shutdown_grace_seconds, the longest a request may still run. ECS waits this long after deregistering a task before it sends SIGTERM."
  type        = number
  default     = null
}
