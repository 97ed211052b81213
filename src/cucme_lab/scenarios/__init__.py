"""Scenarios: YAML labs that drive the shell and the phones and judge the outcomes."""
