"""Loading stack files: variables, Jinja2 rendering, YAML with line numbers, validation. Pure."""
