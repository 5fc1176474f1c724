"""Rendering plans, progress and errors for people (rich) and machines (JSON, markdown)."""
