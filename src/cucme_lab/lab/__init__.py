"""The application: a lab built from its folder and lab file, wired together, and its commands."""
