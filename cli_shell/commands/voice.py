"""Command declarations: voice (being written)."""
