# IAM: the execution role (ECS agent: image pull, logs, the admin token secret) and the task role
# (the router's own AWS calls: Cloud Map discovery, and registration when admin_registry = cloudmap).

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

# ECR pull and CloudWatch Logs writes.
resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secret" {
  count = var.admin_token_secret_arn == null ? 0 : 1
  statement {
    sid       = "AdminToken"
    actions   = ["secretsmanager:GetSecretValue", "ssm:GetParameters"]
    resources = [var.admin_token_secret_arn]
  }
}

resource "aws_iam_role_policy" "execution_secret" {
  count  = var.admin_token_secret_arn == null ? 0 : 1
  name   = "admin-token"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secret[0].json
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  # cloudmap-api discovery (harmless with cloudmap-dns, which needs no IAM). Discover* calls take
  # no resource-level permissions.
  statement {
    sid       = "Discover"
    actions   = ["servicediscovery:DiscoverInstances", "servicediscovery:DiscoverInstancesRevision"]
    resources = ["*"]
  }

  # The admin API's Cloud Map registry: RegisterInstance/DeregisterInstance in the namespace's
  # services only (condition key servicediscovery:NamespaceArn), then, unconditioned (these
  # calls carry no namespace in their request context, so the condition would deny them): the
  # one-time lookup of the service id, the operation status, and what Cloud Map does on the
  # caller's behalf for a DNS namespace (records and health checks in Route 53).
  dynamic "statement" {
    for_each = var.admin_registry == "cloudmap" ? [1] : []
    content {
      sid = "RegistryWrite"
      actions = [
        "servicediscovery:RegisterInstance",
        "servicediscovery:DeregisterInstance",
      ]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "servicediscovery:NamespaceArn"
        values   = [local.namespace_arn]
      }
    }
  }
  dynamic "statement" {
    for_each = var.admin_registry == "cloudmap" ? [1] : []
    content {
      sid = "RegistryLookup"
      actions = [
        "servicediscovery:ListNamespaces",
        "servicediscovery:ListServices",
        "servicediscovery:GetService",
        "servicediscovery:GetOperation",
        "route53:GetHostedZone",
        "route53:ListHostedZonesByName",
        "route53:ChangeResourceRecordSets",
        "route53:CreateHealthCheck",
        "route53:GetHealthCheck",
        "route53:UpdateHealthCheck",
        "route53:DeleteHealthCheck",
      ]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "cloudmap"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
