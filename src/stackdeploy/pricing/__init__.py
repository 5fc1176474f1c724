"""Cost estimates from a price table shipped in the package (pure: no AWS calls)."""
