"""phone_sim package."""
