"""Reading live state: batched refresh by ownership tags, and the local state record."""
