"""Lean trio transports shared by the router's services and the phones (no router knowledge)."""
