"""Amazon S3: buckets and their configuration (versioning, lifecycle, replication, policy)."""
