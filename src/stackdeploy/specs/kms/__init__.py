"""KMS resource types: customer managed keys with their alias, key policy and rotation."""
