"""Providers for EC2 networking types."""
