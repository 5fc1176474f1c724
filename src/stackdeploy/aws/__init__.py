"""The AWS boundary: client factory, retry policy, waiters. Only code that talks to AWS uses it."""
