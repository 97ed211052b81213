"""Command declarations: cme_security (being written)."""
