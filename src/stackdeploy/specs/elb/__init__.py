"""Elastic Load Balancing (Classic Load Balancer, ELB v1) resource types."""
