"""DynamoDB providers: tables."""
