terraform {
  # 1.2 for lifecycle preconditions (stopTimeout and registry checks below).
  required_version = ">= 1.2"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
