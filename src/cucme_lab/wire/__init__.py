"""Sans-I/O codecs: bytes in, events out. Nothing here touches a socket or a file."""
