"""IAM resource types: roles and instance profiles (global), and their policy documents."""
