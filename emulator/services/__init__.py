"""emulator/services package."""
