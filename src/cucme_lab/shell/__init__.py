"""The IOS command line: grammar, parser, sessions, console and remote front ends."""
