"""The configuration tree and its canonical order."""
