"""Elastic Load Balancing v2 resource types: application load balancers and their parts."""
