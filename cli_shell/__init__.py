"""cli_shell package."""
