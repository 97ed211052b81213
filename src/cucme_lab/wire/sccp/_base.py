"""Base class for SCCP messages and the catch-all for ids this codec does not know.

A message is a frozen dataclass: ``encode(version)`` gives the payload (the bytes after the
12-byte header) and ``decode(payload, version)`` reads it back. The version argument is the
negotiated protocol version, because a few layouts grow with it (specs/sccp.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from cucme_lab.wire.sccp._fields import pack_fields, unpack_fields


class SccpMessage:
    """One SCCP message; subclasses set MESSAGE_ID and declare ``wire()`` fields."""

    __slots__ = ()
    MESSAGE_ID: ClassVar[int]
    # Frames and decodings of equal messages are cached (every phone gets the same templates);
    # a message unique to one call, or one carrying SRTP keys, says False and is encoded and
    # decoded anew, so it neither crowds the caches out nor leaves key material in them.
    CACHED: ClassVar[bool] = True

    @property
    def message_id(self) -> int:
        return self.MESSAGE_ID

    @property
    def name(self) -> str:
        return type(self).__name__

    def encode(self, version: int = 0) -> bytes:
        """The payload for protocol ``version`` (header not included)."""
        return pack_fields(self, version)

    @classmethod
    def decode(cls, payload: bytes, version: int = 0) -> Self:
        """Read a payload; raises SccpProtocolError when it is too short for the layout."""
        kwargs, _ = unpack_fields(cls, payload, 0, version)
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class UnknownMessage(SccpMessage):
    """A message id outside the catalogue, kept with its raw payload so it can be relayed."""

    message_id: int  # type: ignore[assignment]  # a field here, a class constant elsewhere
    payload: bytes = b""

    @property
    def name(self) -> str:
        return f"Unknown(0x{self.message_id:04X})"

    def encode(self, version: int = 0) -> bytes:
        return self.payload

    @classmethod
    def decode(cls, payload: bytes, version: int = 0) -> Self:
        raise TypeError("UnknownMessage has no id of its own; use decode_message()")
