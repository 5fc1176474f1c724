"""Amazon S3 on boto3: buckets, their configuration, and emptying them for a teardown."""
