"""Telnet (RFC 854) as an IOS vty speaks it, sans-I/O: bytes in, data and events out.

The router opens with WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO TERMINAL-TYPE and DO NAWS. Whatever
the client answers, the router keeps echoing (netmiko refuses every option and still relies on
the echo). Options the client offers are refused, except the ones asked for; a window size
(NAWS) is reported so the line can take the client's width and length.
"""

from __future__ import annotations

from dataclasses import dataclass

IAC, DONT, DO, WONT, WILL, SB, SE, NOP = 255, 254, 253, 252, 251, 250, 240, 241
ECHO, SGA, TTYPE, NAWS, LINEMODE = 1, 3, 24, 31, 34
GREETING = bytes([IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, TTYPE, IAC, DO, NAWS])
MAX_SUBNEGOTIATION = 256


@dataclass
class WindowSize:
    width: int
    height: int


class TelnetCodec:
    """Splits a telnet byte stream into user data, replies to send, and window sizes."""

    def __init__(self) -> None:
        self._state = "data"
        self._verb = 0
        self._sub = bytearray()
        self._asked = {(WILL, ECHO), (WILL, SGA), (DO, TTYPE), (DO, NAWS)}
        self.events: list[WindowSize] = []

    def greeting(self) -> bytes:
        return GREETING

    def receive(self, data: bytes) -> tuple[bytes, bytes]:
        """Feed received bytes; return (user data, bytes to send back)."""
        out = bytearray()
        reply = bytearray()
        for b in data:
            st = self._state
            if st == "data":
                if b == IAC:
                    self._state = "iac"
                else:
                    out.append(b)
            elif st == "iac":
                if b == IAC:
                    out.append(IAC)
                    self._state = "data"
                elif b in (DO, DONT, WILL, WONT):
                    self._verb, self._state = b, "option"
                elif b == SB:
                    self._sub.clear()
                    self._state = "sb"
                else:  # NOP, AYT, GA, ... : nothing to do
                    self._state = "data"
            elif st == "option":
                reply += self._negotiate(self._verb, b)
                self._state = "data"
            elif st == "sb":
                if b == IAC:
                    self._state = "sb-iac"
                elif len(self._sub) < MAX_SUBNEGOTIATION:
                    self._sub.append(b)
            elif st == "sb-iac":
                if b == SE:
                    self._subnegotiation(bytes(self._sub))
                    self._state = "data"
                else:
                    if b == IAC and len(self._sub) < MAX_SUBNEGOTIATION:
                        self._sub.append(IAC)
                    self._state = "sb"
        return bytes(out), bytes(reply)

    def _negotiate(self, verb: int, option: int) -> bytes:
        if verb == DO:
            if (WILL, option) in self._asked:
                return b""
            return bytes([IAC, WONT, option])
        if verb == WILL:
            if (DO, option) in self._asked:
                return b""
            return bytes([IAC, DONT, option])
        # DONT / WONT: agreed, and nothing more is said (the router echoes anyway)
        return b""

    def _subnegotiation(self, sub: bytes) -> None:
        if len(sub) >= 5 and sub[0] == NAWS:
            width = (sub[1] << 8) | sub[2]
            height = (sub[3] << 8) | sub[4]
            self.events.append(WindowSize(width, height))


def escape(data: bytes) -> bytes:
    """Data to send: a 0xFF byte is doubled."""
    return data.replace(bytes([IAC]), bytes([IAC, IAC]))
