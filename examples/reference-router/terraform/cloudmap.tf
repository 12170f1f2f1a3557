# The Cloud Map private DNS namespace the services register in (ECS service discovery with SRV
# records in bridge mode) and the router discovers them from.

resource "aws_service_discovery_private_dns_namespace" "this" {
  count       = var.create_namespace ? 1 : 0
  name        = var.namespace_name
  description = "Services routed by ${var.name} (WhaleRay router)"
  vpc         = var.vpc_id
  tags        = var.tags
}

data "aws_service_discovery_dns_namespace" "existing" {
  count = var.create_namespace ? 0 : 1
  name  = var.namespace_name
  type  = "DNS_PRIVATE"
}

locals {
  namespace_id  = var.create_namespace ? aws_service_discovery_private_dns_namespace.this[0].id : data.aws_service_discovery_dns_namespace.existing[0].id
  namespace_arn = var.create_namespace ? aws_service_discovery_private_dns_namespace.this[0].arn : data.aws_service_discovery_dns_namespace.existing[0].arn
}
