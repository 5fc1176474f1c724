"""Providers for EC2 Auto Scaling resource types."""
