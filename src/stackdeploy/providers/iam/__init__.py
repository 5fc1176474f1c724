"""Providers for IAM types: roles and instance profiles (global: read once, in the home region)."""
