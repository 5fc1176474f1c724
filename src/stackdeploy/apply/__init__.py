"""Executing plans: the step walker, state recording, consistency checks."""
