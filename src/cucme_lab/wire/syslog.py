"""Syslog datagrams as IOS sends them (BSD syslog, RFC 3164 framing), sans I/O.

IOS puts the PRI, then its message counter, then the line as the console shows it:

    <189>27: *Mar  1 00:20:15.123: %SYS-5-CONFIG_I: Configured from console by console

and with `service sequence-numbers` the number stands again, six digits, before the stamp:
`<189>27: 000027: *Mar  1 ...`. [M] from captures seen of IOS 12.x syslog traffic; the facility
is local7 (23) unless `logging facility` says otherwise, PRI = facility * 8 + severity.
"""

from __future__ import annotations

import re

MAX_DATAGRAM = 1024  # RFC 3164 4.1: a relay may truncate longer packets; IOS keeps lines short
PRI = re.compile(rb"^<(\d{1,3})>")


def encode(facility: int, severity: int, sequence: int, stamp: str, message: str,
           service_sequence: bool = False) -> bytes:
    """The datagram for one log line."""
    if not 0 <= facility <= 23 or not 0 <= severity <= 7:
        raise ValueError(f"facility {facility} / severity {severity} out of range")
    numbered = f"{sequence:06d}: " if service_sequence else ""
    stamped = f"{stamp}: " if stamp else ""
    text = f"<{facility * 8 + severity}>{sequence}: {numbered}{stamped}{message}"
    return text.encode("utf-8", "replace")[:MAX_DATAGRAM]


def decode_pri(datagram: bytes) -> tuple[int, int]:
    """(facility, severity) of a datagram; ValueError when it has no valid PRI."""
    m = PRI.match(datagram)
    if m is None or int(m.group(1)) > 191:
        raise ValueError("no PRI")
    return divmod(int(m.group(1)), 8)
