"""EC2 networking resource types."""
