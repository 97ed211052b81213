"""SCCP framing and per-connection protocol-version state (specs/sccp.md §1.1, §2, §8).

Sans-I/O in the h11 style: ``feed()`` the bytes read from the socket, call ``next_event()``
until it returns NEED_DATA, and write whatever ``send()`` returns. Both the router and a
simulated phone use the same class, with their Role.

Version rule (one rule for both directions, so the bytes, chan-sccp and Wireshark agree):
every payload is laid out for the negotiated version, and every frame we send carries that
version in ``headerVersion`` when it is 10 or more (0 = "basic" otherwise), except
RegisterAck, KeepAliveAck and UnregisterAck, which always carry 0. Received frames are
decoded with the negotiated version too (chan-sccp's choice); their ``headerVersion`` is
only checked to be a known value.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator
from enum import Enum

from cucme_lab.wire.sccp._base import SccpMessage
from cucme_lab.wire.sccp._fields import SccpProtocolError
from cucme_lab.wire.sccp._messages import decode_message
from cucme_lab.wire.sccp._registration import (
    KeepAliveAck,
    Register,
    RegisterAck,
    UnregisterAck,
)

HEADER = struct.Struct("<III")  # length, headerVersion, messageId
HEADER_SIZE = HEADER.size
MIN_LENGTH = 4  # the message id alone
# §8 says reject above "about 2000"; the largest message here, SoftKeySetRes, is 784.
MAX_LENGTH = 2000
MAX_PROTOCOL_VERSION = 22  # the highest code Wireshark knows (0x16)
HEADER_VERSION_FROM = 10  # below V10 frames say 0 ("basic"); layouts only change from V11
DEFAULT_VERSION = 17  # §2 recommends negotiating V17
ZERO_HEADER_IDS = frozenset(
    {RegisterAck.MESSAGE_ID, KeepAliveAck.MESSAGE_ID, UnregisterAck.MESSAGE_ID}
)


class Role(Enum):
    """Which end of the TCP connection this object speaks for."""

    PHONE = "phone"
    SERVER = "server"


class Signal(Enum):
    """Non-message results of ``next_event()``."""

    NEED_DATA = "need data"
    CONNECTION_CLOSED = "connection closed"


NEED_DATA = Signal.NEED_DATA
CONNECTION_CLOSED = Signal.CONNECTION_CLOSED


class SccpUsageError(RuntimeError):
    """The local caller broke the protocol (for example acked a version never offered)."""


def header_version_for(message_id: int, version: int) -> int:
    """The headerVersion to send with ``message_id`` once ``version`` is negotiated (§2)."""
    # [unverified for real phones] P→S frames follow the same rule as chan-sccp's S→P frames.
    if message_id in ZERO_HEADER_IDS or version < HEADER_VERSION_FROM:
        return 0
    return version


def encode_frame(
    message: SccpMessage, version: int = 0, header_version: int | None = None
) -> bytes:
    """One complete frame: the 12-byte header and the payload laid out for ``version``."""
    payload = message.encode(version)
    length = len(payload) + 4
    if length > MAX_LENGTH:
        raise ValueError(f"{message.name}: frame length {length} exceeds {MAX_LENGTH}")
    if header_version is None:
        header_version = header_version_for(message.message_id, version)
    return HEADER.pack(length, header_version, message.message_id) + payload


@functools.lru_cache(maxsize=1024)
def _shared_frame(message: SccpMessage, version: int) -> bytes:
    """Frames every phone sends alike (KeepAlive, TimeDateReq, LineStatReq 1, RegisterAck
    with the same keepalive, ...), encoded once: messages are frozen, so equal messages make
    equal bytes."""
    return encode_frame(message, version)


@functools.lru_cache(maxsize=4096)
def _register_frame(message: Register, version: int) -> bytes:
    """A phone's Register, the same at each of its registrations: kept for a fleet's worth
    of phones in one process (each is unique, so they would crowd the shared cache out)."""
    return encode_frame(message, version)


def _check_header(length: int, header_version: int) -> None:
    """Reject a bad length or headerVersion as soon as its bytes arrive (bounds memory)."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise SccpProtocolError(f"frame length {length} outside {MIN_LENGTH}..{MAX_LENGTH}")
    if header_version > MAX_PROTOCOL_VERSION:
        raise SccpProtocolError(f"unknown headerVersion 0x{header_version:X}")


def _check_version(version: int) -> int:
    if not 0 <= version <= MAX_PROTOCOL_VERSION:
        raise ValueError(f"protocol version must be 0..{MAX_PROTOCOL_VERSION}, not {version}")
    return version


class SccpConnection:
    """Frames one SCCP byte stream and tracks the negotiated protocol version.

    The phone advertises its highest version in Register; the server answers with
    ``min(phone, server)`` in RegisterAck (see ``agreed_version``), and from then on both
    sides lay out and label frames for that version.
    """

    def __init__(self, role: Role, *, max_version: int = DEFAULT_VERSION) -> None:
        self.role = role
        self.max_version = _check_version(max_version)
        self._version = 0
        self._peer_max: int | None = None
        self._advertised: int | None = None
        self._buffer = bytearray()
        self._eof = False
        self._error: SccpProtocolError | None = None

    @property
    def version(self) -> int:
        """The negotiated version (0, "basic", until RegisterAck)."""
        return self._version

    @property
    def peer_max_version(self) -> int | None:
        """The phone's advertised version (server side) or the server's choice (phone side)."""
        return self._peer_max

    @property
    def agreed_version(self) -> int:
        """What a server should put in RegisterAck: ``min(phone, ours)``."""
        if self._peer_max is None:
            raise SccpUsageError("no Register received yet")
        return min(self._peer_max, self.max_version)

    # ---- receiving ---------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Add bytes read from the peer; ``b""`` means the peer closed the connection."""
        if self._eof:
            raise SccpUsageError("data fed after end of stream")
        if data:
            self._buffer += data
        else:
            self._eof = True

    def next_event(self) -> SccpMessage | Signal:
        """The next complete message, NEED_DATA, or CONNECTION_CLOSED after a clean EOF.

        Malformed input raises SccpProtocolError, and the connection stays failed.
        """
        if self._error is not None:
            raise SccpProtocolError(f"connection already failed: {self._error.reason}")
        try:
            return self._next_event()
        except SccpProtocolError as exc:
            self._error = exc
            raise

    def events(self) -> Iterator[SccpMessage]:
        """Every message that is complete in the buffer now."""
        while isinstance(event := self.next_event(), SccpMessage):
            yield event

    def _next_event(self) -> SccpMessage | Signal:
        buf = self._buffer
        size = len(buf)
        if size >= HEADER_SIZE:
            length, header_version, message_id = HEADER.unpack_from(buf, 0)
            _check_header(length, header_version)
            if size >= length + 8:
                payload = bytes(buf[HEADER_SIZE : length + 8])
                del buf[: length + 8]
                message = decode_message(message_id, payload, self._version)
                self._after_receive(message)
                return message
        elif size >= 4:  # a partial header: refused as soon as its bytes say it is bad
            (length,) = struct.unpack_from("<I", buf, 0)
            (header_version,) = struct.unpack_from("<I", buf, 4) if size >= 8 else (0,)
            _check_header(length, header_version)
        if not self._eof:
            return NEED_DATA
        if buf:
            raise SccpProtocolError(f"stream ended inside a frame ({len(buf)} bytes left)")
        return CONNECTION_CLOSED

    def _after_receive(self, message: SccpMessage) -> None:
        if self.role is Role.SERVER and isinstance(message, Register):
            self._peer_max = message.protocol_ver or 0  # short Register: treat as basic
        elif self.role is Role.PHONE and isinstance(message, RegisterAck):
            chosen = message.max_protocol_ver
            limit = self.max_version if self._advertised is None else self._advertised
            if chosen > limit:
                raise SccpProtocolError(f"RegisterAck chose V{chosen}, above offered V{limit}")
            self._peer_max = chosen
            self._version = chosen

    # ---- sending -----------------------------------------------------------------------

    def send(self, message: SccpMessage) -> bytes:
        """The frame for ``message`` under the current version; updates negotiation state."""
        if self.role is Role.PHONE and isinstance(message, Register):
            offered = message.protocol_ver or 0
            if offered > self.max_version:
                raise SccpUsageError(f"Register offers V{offered} above max V{self.max_version}")
            self._advertised = offered
        elif self.role is Role.SERVER and isinstance(message, RegisterAck):
            chosen = message.max_protocol_ver
            ceiling = self.max_version if self._peer_max is None else self.agreed_version
            if chosen > ceiling:
                raise SccpUsageError(f"RegisterAck V{chosen} above the agreed V{ceiling}")
        if isinstance(message, Register):
            frame = _register_frame(message, self._version)
        elif not message.CACHED:
            frame = encode_frame(message, self._version)
        else:
            try:
                frame = _shared_frame(message, self._version)
            except TypeError:  # a field holding a list: not hashable, encode it as it is
                frame = encode_frame(message, self._version)
        if self.role is Role.SERVER and isinstance(message, RegisterAck):
            self._version = message.max_protocol_ver
        return frame
