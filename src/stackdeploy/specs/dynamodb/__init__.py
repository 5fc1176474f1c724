"""DynamoDB resource types: tables with their indexes, streams, TTL, backups and encryption."""
