"""KMS providers: customer managed keys."""
