"""Command declarations: interfaces (being written)."""
