"""Command declarations: telephony (being written)."""
