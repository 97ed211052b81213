"""Command declarations: lines (being written)."""
