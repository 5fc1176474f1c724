"""Amazon RDS resource types: DB subnet groups, parameter groups, DB instances and their read
replicas (MariaDB, MySQL and PostgreSQL)."""
