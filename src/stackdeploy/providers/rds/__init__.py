"""Providers for Amazon RDS: DB subnet groups, parameter groups, DB instances and read
replicas."""
