"""Field codecs for SCCP payloads (specs/sccp.md §1.2).

Each message is declared once as a dataclass whose fields carry a codec (``wire(U32)``), and
the same declaration drives both encoding and decoding, so the two directions can't drift
apart. Codecs know their width for a given protocol version, which is how the
version-dependent directory numbers (24/25 bytes) and addresses (4/20 bytes) are handled.
"""

from __future__ import annotations

import dataclasses
import functools
import struct
from ipaddress import IPv4Address, IPv6Address
from typing import Any, Protocol

# Protocol versions whose layouts differ (§2); below V11 everything matches "basic" (0).
DIRNUM_LONG_FROM = 18
IPV4OR6_LONG_FROM = 17


class SccpProtocolError(ValueError):
    """The peer sent bytes that are not a valid SCCP frame; ``reason`` says what was wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Codec(Protocol):
    """Packs one field value; ``zero`` is the value of an absent or unused slot."""

    @property
    def zero(self) -> Any: ...

    def width(self, version: int) -> int: ...

    def pack(self, value: Any, version: int) -> bytes: ...

    def unpack(self, data: bytes, offset: int, version: int) -> Any: ...


@dataclasses.dataclass(frozen=True)
class Int:
    """A little-endian integer; out-of-range values are a ValueError, not a struct.error."""

    fmt: str
    zero: int = 0

    def width(self, version: int) -> int:
        return struct.calcsize(self.fmt)

    def pack(self, value: int, version: int) -> bytes:
        try:
            return struct.pack(self.fmt, value)
        except struct.error as exc:
            raise ValueError(f"{value!r} does not fit {self.fmt}") from exc

    def unpack(self, data: bytes, offset: int, version: int) -> int:
        return int(struct.unpack_from(self.fmt, data, offset)[0])


U8 = Int("<B")
U16 = Int("<H")
U32 = Int("<I")
I32 = Int("<i")


@dataclasses.dataclass(frozen=True)
class Chars:
    """A fixed-size NUL-padded string (char[N]).

    Latin-1 keeps every byte, so the 0x80 display-label escapes of §3.3 survive a round trip
    and decoding can never fail. At most N-1 characters fit unless ``full_ok`` (dateTemplate).
    """

    size: int
    full_ok: bool = False
    zero: str = ""

    def width(self, version: int) -> int:
        return self.size

    def pack(self, value: str, version: int) -> bytes:
        return _pack_chars(value, self.size, self.full_ok)

    def unpack(self, data: bytes, offset: int, version: int) -> str:
        return _unpack_chars(data, offset, self.size)


@dataclasses.dataclass(frozen=True)
class Dirnum:
    """VariableDirnum: a directory number of 24 bytes below V18 and 25 from V18 (§1.2)."""

    zero: str = ""

    def width(self, version: int) -> int:
        return 25 if version >= DIRNUM_LONG_FROM else 24

    def pack(self, value: str, version: int) -> bytes:
        return _pack_chars(value, self.width(version), False)

    def unpack(self, data: bytes, offset: int, version: int) -> str:
        return _unpack_chars(data, offset, self.width(version))


def _pack_chars(value: str, size: int, full_ok: bool) -> bytes:
    raw = value.encode("latin-1")
    limit = size if full_ok else size - 1
    if len(raw) > limit:
        raise ValueError(f"{value!r} is longer than {limit} bytes")
    return raw.ljust(size, b"\0")


def _unpack_chars(data: bytes, offset: int, size: int) -> str:
    return data[offset : offset + size].split(b"\0", 1)[0].decode("latin-1")


@dataclasses.dataclass(frozen=True)
class Ipv4:
    """Four raw address bytes in network order (§1: 127.0.0.1 is 7f 00 00 01)."""

    zero: IPv4Address = IPv4Address(0)

    def width(self, version: int) -> int:
        return 4

    def pack(self, value: IPv4Address, version: int) -> bytes:
        # (IPv4Address(an address) goes through its text: 10 us, at every Register)
        return value.packed if isinstance(value, IPv4Address) else IPv4Address(value).packed

    def unpack(self, data: bytes, offset: int, version: int) -> IPv4Address:
        return IPv4Address(bytes(data[offset : offset + 4]))


@dataclasses.dataclass(frozen=True)
class Ipv6:
    """Sixteen raw IPv6 address bytes (Register.stationIpV6Addr)."""

    zero: IPv6Address = IPv6Address(0)

    def width(self, version: int) -> int:
        return 16

    def pack(self, value: IPv6Address, version: int) -> bytes:
        return value.packed if isinstance(value, IPv6Address) else IPv6Address(value).packed

    def unpack(self, data: bytes, offset: int, version: int) -> IPv6Address:
        return IPv6Address(bytes(data[offset : offset + 16]))


@dataclasses.dataclass(frozen=True)
class IpAddr:
    """The "ipv4or6" type: 4 IPv4 bytes below V17, from V17 a u32 type plus a 16-byte area."""

    zero: IPv4Address = IPv4Address(0)

    def width(self, version: int) -> int:
        return 20 if version >= IPV4OR6_LONG_FROM else 4

    def pack(self, value: IPv4Address | IPv6Address, version: int) -> bytes:
        if version < IPV4OR6_LONG_FROM:
            if not isinstance(value, IPv4Address):
                raise ValueError(f"an IPv6 address needs protocol version >= 17, not {version}")
            return value.packed
        if isinstance(value, IPv6Address):
            return struct.pack("<I", 1) + value.packed
        return struct.pack("<I", 0) + IPv4Address(value).packed.ljust(16, b"\0")

    def unpack(self, data: bytes, offset: int, version: int) -> IPv4Address | IPv6Address:
        if version < IPV4OR6_LONG_FROM:
            return IPv4Address(bytes(data[offset : offset + 4]))
        (kind,) = struct.unpack_from("<I", data, offset)
        area = bytes(data[offset + 4 : offset + 20])
        if kind == 1:
            return IPv6Address(area)
        if kind in (0, 2):  # 2 = v4+v6: the v4 address still comes first (§1.2)
            return IPv4Address(area[:4])
        raise SccpProtocolError(f"unknown ipAddrType {kind}")


@dataclasses.dataclass(frozen=True)
class Mac:
    """Register.macAddress: 6 MAC bytes followed by 6 zero bytes."""

    zero: bytes = bytes(6)

    def width(self, version: int) -> int:
        return 12

    def pack(self, value: bytes, version: int) -> bytes:
        if len(value) != 6:
            raise ValueError(f"a MAC address has 6 bytes, not {len(value)}")
        return bytes(value) + bytes(6)

    def unpack(self, data: bytes, offset: int, version: int) -> bytes:
        return bytes(data[offset : offset + 6])


@dataclasses.dataclass(frozen=True)
class Raw:
    """An opaque fixed-size block, kept as bytes (e.g. the V21 latentCapsInfo)."""

    size: int

    @property
    def zero(self) -> bytes:
        return bytes(self.size)

    def width(self, version: int) -> int:
        return self.size

    def pack(self, value: bytes, version: int) -> bytes:
        if len(value) != self.size:
            raise ValueError(f"expected {self.size} bytes, got {len(value)}")
        return bytes(value)

    def unpack(self, data: bytes, offset: int, version: int) -> bytes:
        return bytes(data[offset : offset + self.size])


@dataclasses.dataclass(frozen=True)
class Pad:
    """Padding that is written as zeros and skipped when reading."""

    size: int
    zero: None = None

    def width(self, version: int) -> int:
        return self.size

    def pack(self, value: None, version: int) -> bytes:
        return bytes(self.size)

    def unpack(self, data: bytes, offset: int, version: int) -> None:
        return None


@dataclasses.dataclass(frozen=True)
class Slots:
    """A fixed number of entries; unused trailing entries are zero on the wire.

    Values are tuples without the unused tail, so ``decode(encode(m)) == m`` holds for any
    tuple that does not itself end in zero entries.
    """

    entry: Codec
    count: int

    @property
    def zero(self) -> tuple[Any, ...]:
        return ()

    def width(self, version: int) -> int:
        return self.entry.width(version) * self.count

    def pack(self, value: tuple[Any, ...], version: int) -> bytes:
        if len(value) > self.count:
            raise ValueError(f"at most {self.count} entries fit, got {len(value)}")
        padded = list(value) + [self.entry.zero] * (self.count - len(value))
        return b"".join(self.entry.pack(item, version) for item in padded)

    def unpack(self, data: bytes, offset: int, version: int) -> tuple[Any, ...]:
        entry = self.entry
        if isinstance(entry, Int):  # a run of integers is one struct call
            items = list(_int_run(entry.fmt, self.count).unpack_from(data, offset))
        else:
            step = entry.width(version)
            items = [entry.unpack(data, offset + i * step, version) for i in range(self.count)]
        zero = entry.zero  # Nested builds a new zero value on each access
        while items and items[-1] == zero:
            items.pop()
        return tuple(items)


@functools.cache
def _int_run(fmt: str, count: int) -> struct.Struct:
    """``count`` consecutive integers of format ``fmt`` ("<H") as one Struct."""
    return struct.Struct(f"{fmt[0]}{count}{fmt[1:]}")


@dataclasses.dataclass(frozen=True)
class Nested:
    """A fixed-layout struct inside a message, itself declared with ``wire()`` fields."""

    cls: type

    @property
    def zero(self) -> Any:
        return self.cls()

    def width(self, version: int) -> int:
        return sum(size for _, _, size, _, _ in plan(self.cls, version))

    def pack(self, value: Any, version: int) -> bytes:
        return pack_fields(value, version)

    def unpack(self, data: bytes, offset: int, version: int) -> Any:
        kwargs, _ = unpack_fields(self.cls, data, offset, version)
        return self.cls(**kwargs)


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """How one dataclass field travels: its codec, first version, and whether it may be absent.

    ``optional`` fields form the tail of a layout: on decode they are read while they fit and
    are None once the payload ends; on encode they are written up to the first one that is
    None, and a set field after a None one is an error rather than silently dropped.
    """

    codec: Codec
    since: int = 0
    optional: bool = False


_MISSING: Any = dataclasses.MISSING


def wire(codec: Codec, default: Any = _MISSING, *, since: int = 0, optional: bool = False) -> Any:
    """Declare a dataclass field carried on the wire (defaults to the codec's zero value)."""
    value = codec.zero if default is _MISSING else default
    meta = {"sccp": FieldSpec(codec, since, optional)}
    return dataclasses.field(default=value, metadata=meta)


def pad(size: int) -> Any:
    """Declare padding: not an __init__ argument, not compared, zeros on the wire."""
    meta = {"sccp": FieldSpec(Pad(size))}
    return dataclasses.field(default=None, init=False, repr=False, compare=False, metadata=meta)


@functools.cache
def layout(cls: type) -> tuple[tuple[str, FieldSpec], ...]:
    """The wire fields of a dataclass in declaration order (validated once per class)."""
    specs = tuple(
        (f.name, f.metadata["sccp"]) for f in dataclasses.fields(cls) if "sccp" in f.metadata
    )
    seen_optional = False
    for name, spec in specs:
        if seen_optional and not spec.optional:
            raise TypeError(f"{cls.__name__}.{name}: required field after an optional one")
        seen_optional = seen_optional or spec.optional
    return specs


@functools.cache
def plan(cls: type, version: int) -> tuple[tuple[str, Codec, int, bool, bool], ...]:
    """The fields of ``cls`` present at ``version``: (name, codec, width, optional, padding).

    Computed once per class and version, so the codec's hot path does no per-field lookups.
    """
    return tuple(
        (name, spec.codec, spec.codec.width(version), spec.optional, isinstance(spec.codec, Pad))
        for name, spec in layout(cls)
        if version >= spec.since
    )


def pack_fields(obj: Any, version: int) -> bytes:
    """Encode a wire dataclass for ``version``; optional fields stop at the first None."""
    out = bytearray()
    missing: str | None = None
    for name, codec, _, optional, _ in plan(type(obj), version):
        value = getattr(obj, name)
        if optional and value is None:
            missing = missing or name
            continue
        if missing is not None:
            raise ValueError(f"{type(obj).__name__}.{missing} is None but {name} is set")
        out += codec.pack(value, version)
    return bytes(out)


def unpack_fields(cls: type, data: bytes, offset: int, version: int) -> tuple[dict[str, Any], int]:
    """Decode the wire fields of ``cls`` from ``data[offset:]``; return kwargs and new offset.

    Bytes after the last field are left alone: newer firmware appends fields, and being
    liberal there costs nothing.
    """
    kwargs: dict[str, Any] = {}
    absent = False
    end = len(data)
    for name, codec, size, optional, padding in plan(cls, version):
        if absent or offset + size > end:
            if not optional:
                raise SccpProtocolError(
                    f"{cls.__name__}: payload of {end} bytes ends inside {name}"
                )
            absent = True
            kwargs[name] = None
            continue
        if not padding:
            kwargs[name] = codec.unpack(data, offset, version)
        offset += size
    return kwargs, offset
