"""The `deploy` command line: thin commands over the engine; the only place exit codes exist."""
