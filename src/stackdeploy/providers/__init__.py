"""Providers: the AWS side of each resource type (read, create, update, delete via boto3)."""
