"""Just enough DER (X.690) to build and read the CMS structures SCEP carries.

`cryptography` parses certificates, CSRs and CRLs, but SCEP's SignedData needs authenticated
attributes of its own (messageType, transactionID, nonces) and EnvelopedData with the ciphers old
clients use, so those structures are built and read here. Decoding is strict about lengths and
never reads past its input: malformed bytes raise `DerError`, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
UTF8_STRING = 0x0C
PRINTABLE_STRING = 0x13
IA5_STRING = 0x16
UTC_TIME = 0x17


class DerError(ValueError):
    """The bytes are not the DER structure expected."""


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes  # the contents octets
    raw: bytes  # the whole encoding, tag and length included

    def children(self) -> list[Tlv]:
        """The elements of a constructed value (SEQUENCE, SET, [n] EXPLICIT)."""
        if not self.tag & 0x20:
            raise DerError(f"tag {self.tag:#x} is not constructed")
        return decode_all(self.value)

    def expect(self, tag: int) -> Tlv:
        if self.tag != tag:
            raise DerError(f"expected tag {tag:#x}, found {self.tag:#x}")
        return self


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _length(len(value)) + value


def seq(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    """A SET OF, its elements sorted by encoding as DER requires."""
    return tlv(SET, b"".join(sorted(items)))


def integer(n: int) -> bytes:
    body = n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True) if n >= 0 else \
        n.to_bytes((n.bit_length() + 8) // 8, "big", signed=True)
    return tlv(INTEGER, body)


def octets(data: bytes) -> bytes:
    return tlv(OCTET_STRING, data)


def printable(text: str) -> bytes:
    return tlv(PRINTABLE_STRING, text.encode("ascii"))


def null() -> bytes:
    return b"\x05\x00"


def explicit(n: int, inner: bytes) -> bytes:
    """[n] EXPLICIT (context-specific, constructed)."""
    return tlv(0xA0 | n, inner)


def implicit_primitive(n: int, value: bytes) -> bytes:
    """[n] IMPLICIT of a primitive type."""
    return tlv(0x80 | n, value)


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    if len(parts) < 2:
        raise ValueError(dotted)
    body = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


# Octets of one OID arc: 20 hold 140 bits, a UUID arc (2.25.<128 bits>) included. Longer arcs
# name nothing SCEP uses, and one of 2,100 octets made more than the 4,300 digits str() allows.
MAX_ARC_OCTETS = 20


def decode_oid(value: bytes) -> str:
    if not value:
        raise DerError("empty OBJECT IDENTIFIER")
    parts = [min(value[0] // 40, 2)]
    parts.append(value[0] - 40 * parts[0])
    n = 0
    octets = 0
    for i, b in enumerate(value[1:], 1):
        n = (n << 7) | (b & 0x7F)
        octets += 1
        if octets > MAX_ARC_OCTETS:
            raise DerError(f"OBJECT IDENTIFIER arc longer than {MAX_ARC_OCTETS} octets")
        if not b & 0x80:
            parts.append(n)
            n = 0
            octets = 0
        elif i == len(value) - 1:
            raise DerError("truncated OBJECT IDENTIFIER")
    return ".".join(str(p) for p in parts)


def decode_int(value: bytes) -> int:
    if not value:
        raise DerError("empty INTEGER")
    return int.from_bytes(value, "big", signed=True)


def decode_one(data: bytes, offset: int = 0) -> tuple[Tlv, int]:
    """One TLV at `offset`; returns it and the offset after it."""
    if offset + 2 > len(data):
        raise DerError("truncated: no room for tag and length")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used here")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise DerError("bad length octets")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise DerError("truncated: length runs past the data")
    return Tlv(tag, data[pos:end], data[offset:end]), end


def decode(data: bytes) -> Tlv:
    """Exactly one TLV filling `data`."""
    item, end = decode_one(data)
    if end != len(data):
        raise DerError("trailing bytes after the DER value")
    return item


def decode_all(data: bytes) -> list[Tlv]:
    items, pos = [], 0
    while pos < len(data):
        item, pos = decode_one(data, pos)
        items.append(item)
    return items
