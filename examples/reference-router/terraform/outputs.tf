output "namespace_id" {
  description = "Id of the Cloud Map namespace (for the services' service_registries)."
  value       = local.namespace_id
}

output "namespace_name" {
  description = "Name of the Cloud Map namespace (WHALERAY_NAMESPACE)."
  value       = local.namespace_name
}

output "task_definition_arn" {
  description = "ARN of the router's task definition revision."
  value       = aws_ecs_task_definition.router.arn
}

output "service_name" {
  description = "Name of the router's ECS service."
  value       = aws_ecs_service.router.name
}

output "target_group_arn" {
  description = "ARN of the router's ALB target group."
  value       = aws_lb_target_group.router.arn
}

output "listener_rule_arn" {
  description = "ARN of the listener rule forwarding /services/* to the router."
  value       = aws_lb_listener_rule.services.arn
}

output "task_role_arn" {
  description = "ARN of the router's task role (Cloud Map permissions)."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "ARN of the task execution role."
  value       = aws_iam_role.execution.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the router's JSON logs."
  value       = aws_cloudwatch_log_group.router.name
}

output "stop_timeout" {
  description = "The container's stopTimeout in seconds (drain + grace + margin)."
  value       = local.stop_timeout
}
