# The ALB side: one target group for every router task (instance targets on their dynamic host
# ports) and a rule on an existing listener forwarding /services/* to it.

resource "aws_lb_target_group" "router" {
  name                 = var.name
  vpc_id               = var.vpc_id
  target_type          = "instance" # bridge mode: instance id + dynamic host port
  port                 = local.container_port
  protocol             = "HTTP"
  deregistration_delay = local.deregistration_delay
  # A new task's share of requests ramps up over this time: its JIT compiles the request path on
  # the task's own CPU during the first seconds (jmh/RESULTS.md, "Warm-up").
  slow_start = var.slow_start_seconds

  health_check {
    enabled             = true
    path                = local.health_path
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = "200"
    interval            = var.health_check_interval_seconds
    timeout             = var.health_check_timeout_seconds
    healthy_threshold   = var.healthy_threshold
    unhealthy_threshold = var.unhealthy_threshold
  }

  tags = var.tags
}

resource "aws_lb_listener_rule" "services" {
  listener_arn = var.listener_arn
  priority     = var.listener_rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.router.arn
  }

  condition {
    path_pattern {
      values = var.listener_path_patterns
    }
  }

  tags = var.tags
}
