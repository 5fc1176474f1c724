"""Providers for application load balancers (ELB v2): load balancers, target groups,
listeners and listener rules."""
