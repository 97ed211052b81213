"""Command declarations: access (being written)."""
