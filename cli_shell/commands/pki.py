"""Command declarations: pki (being written)."""
