"""Dependency graphs and the generic readiness-driven walker. Pure: no AWS."""
