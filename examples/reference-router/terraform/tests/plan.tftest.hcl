# `terraform test` (Terraform 1.7+): plans with a mocked AWS provider, no credentials or AWS
# calls. Not run by CI (no terraform binary there; TerraformModuleIT covers the structure).

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{}" }
  }
}

variables {
  vpc_id       = "vpc-1"
  cluster_arn  = "arn:aws:ecs:us-east-1:123456789012:cluster/main"
  listener_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/a/b/c"
  image        = "img:1"
}

run "defaults" {
  command = plan
  assert {
    condition     = jsondecode(aws_ecs_task_definition.router.container_definitions)[0].stopTimeout == 30
    error_message = "stopTimeout"
  }
  assert {
    condition     = length(jsondecode(aws_ecs_task_definition.router.container_definitions)[0].portMappings) == 1
    error_message = "ports"
  }
  assert {
    condition     = aws_lb_target_group.router.deregistration_delay == "20"
    error_message = "dereg ${aws_lb_target_group.router.deregistration_delay}"
  }
  assert {
    condition     = aws_appautoscaling_target.router.resource_id == "service/main/whaleray-router"
    error_message = "resource id ${aws_appautoscaling_target.router.resource_id}"
  }
}

run "admin" {
  command = plan
  variables {
    expose_admin_port      = true
    discovery              = "cloudmap-api"
    admin_registry         = "cloudmap"
    admin_token_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:t"
  }
  assert {
    condition     = length(jsondecode(aws_ecs_task_definition.router.container_definitions)[0].portMappings) == 2
    error_message = "ports"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.router.container_definitions)[0].secrets[0].name == "WHALERAY_ADMIN_TOKEN"
    error_message = "secret"
  }
}

run "too_long" {
  command = plan
  variables {
    shutdown_grace_seconds = 110
    shutdown_drain_seconds = 10
  }
  expect_failures = [aws_ecs_task_definition.router]
}

run "registry_needs_api" {
  command = plan
  variables {
    admin_registry = "cloudmap"
  }
  expect_failures = [aws_ecs_task_definition.router]
}
