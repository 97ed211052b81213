"""SNMP v1 and v2c messages, sans I/O: bytes in, a typed request out; a response back to bytes.

The BER and the PDU layouts are pysnmp's message layer (`pysnmp.proto.api`, pinned in
pyproject.toml: its method names changed between 6.x and 7.x) over pyasn1. The agent above
sees plain Python values: `int`, `bytes`, and the small types below for the SMI's other
syntaxes, so nothing outside this module touches a pyasn1 object.

Anything that is not a well-formed v1 or v2c request raises `SnmpDecodeError`, whose `reason`
says which `show snmp` counter it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

V1, V2C = 0, 1  # the version field's values for SNMPv1 and SNMPv2c
MAX_REQUEST_OCTETS = 1500  # a longer datagram is dropped unread (IOS's maximum packet size)

# error-status values (RFC 1157, RFC 3416)
NO_ERROR, TOO_BIG, NO_SUCH_NAME, BAD_VALUE, READ_ONLY, GEN_ERR = 0, 1, 2, 3, 4, 5
NO_ACCESS, WRONG_TYPE, WRONG_VALUE, NOT_WRITABLE = 6, 7, 10, 17

Oid = tuple[int, ...]


class ObjectId(NamedTuple):
    """An OBJECT IDENTIFIER value (sysObjectID), kept apart from an OID used as a name."""

    oid: Oid


class TimeTicks(NamedTuple):
    hundredths: int


class Counter32(NamedTuple):
    value: int


class Gauge32(NamedTuple):
    value: int


class IpAddress(NamedTuple):
    address: str


class _Exception(NamedTuple):
    """v2c's varbind exceptions; v1 answers them with noSuchName instead."""

    name: str


NO_SUCH_OBJECT = _Exception("noSuchObject")
NO_SUCH_INSTANCE = _Exception("noSuchInstance")
END_OF_MIB_VIEW = _Exception("endOfMibView")

Value = Any  # int | bytes | ObjectId | TimeTicks | Counter32 | Gauge32 | IpAddress | _Exception


class SnmpDecodeError(Exception):
    """A datagram that is no v1/v2c request. `reason`: "version" (a version other than v1 or
    v2c), "encoding" (not BER, truncated, oversized, trailing bytes) or "pdu" (a PDU an agent
    does not take, such as a Response or a Trap)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass
class Request:
    version: int
    community: bytes
    kind: str  # "get", "getnext", "getbulk", "set"
    request_id: int
    varbinds: list[tuple[Oid, Value]]
    non_repeaters: int = 0
    max_repetitions: int = 0
    _message: Any = field(default=None, repr=False)
    _pdu: Any = field(default=None, repr=False)


_KINDS = {"GetRequestPDU": "get", "GetNextRequestPDU": "getnext",
          "GetBulkRequestPDU": "getbulk", "SetRequestPDU": "set"}


def decode(data: bytes) -> Request:
    """Parse one datagram; raise SnmpDecodeError for anything an agent must drop."""
    if len(data) > MAX_REQUEST_OCTETS:
        raise SnmpDecodeError("encoding", f"{len(data)} octets (more than {MAX_REQUEST_OCTETS})")
    version = _version(data)
    if version not in (V1, V2C):
        raise SnmpDecodeError("version", f"version field {version}")
    module = api.PROTOCOL_MODULES[version]
    try:
        message, rest = decoder.decode(data, asn1Spec=module.Message())
        if rest:
            raise SnmpDecodeError("encoding", f"{len(rest)} octets after the message")
        pdu = module.apiMessage.get_pdu(message)
        kind = _KINDS.get(type(pdu).__name__)
        if kind is None:
            raise SnmpDecodeError("pdu", f"{type(pdu).__name__} sent to an agent")
        varbinds = [(tuple(oid), _from_asn1(value))
                    for oid, value in module.apiPDU.get_varbinds(pdu)]
        request = Request(version, bytes(module.apiMessage.get_community(message)), kind,
                          int(module.apiPDU.get_request_id(pdu)), varbinds,
                          _message=message, _pdu=pdu)
        if kind == "getbulk":
            request.non_repeaters = max(0, int(module.apiBulkPDU.get_non_repeaters(pdu)))
            request.max_repetitions = max(0, int(module.apiBulkPDU.get_max_repetitions(pdu)))
        return request
    except SnmpDecodeError:
        raise
    except Exception as exc:  # pyasn1 raises a variety on hostile input: all mean bad BER
        raise SnmpDecodeError("encoding", f"malformed message: {_short(exc)}") from None


def _version(data: bytes) -> int:
    """The version field, read from the first octets (a SEQUENCE, then an INTEGER) without
    decoding the message: a version other than v1 or v2c is dropped before any BER work."""
    if len(data) < 2 or data[0] != 0x30:
        raise SnmpDecodeError("encoding", "no SNMP message: not a BER SEQUENCE")
    i = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    if len(data) < i + 3 or data[i] != 0x02 or not 1 <= data[i + 1] <= 4 or \
            len(data) < i + 2 + data[i + 1]:
        raise SnmpDecodeError("encoding", "no SNMP message: no version INTEGER")
    return int.from_bytes(data[i + 2:i + 2 + data[i + 1]], "big", signed=True)


def encode_response(request: Request, varbinds: list[tuple[Oid, Value]],
                    error_status: int = NO_ERROR, error_index: int = 0) -> bytes:
    """The Response (GetResponse in v1) to `request`, same id and community."""
    module = api.PROTOCOL_MODULES[request.version]
    response = module.apiPDU.get_response(request._pdu)
    module.apiPDU.set_varbinds(response, [(oid, _to_asn1(module, value))
                                          for oid, value in varbinds])
    if error_status:
        module.apiPDU.set_error_status(response, error_status)
        module.apiPDU.set_error_index(response, error_index)
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, request.community)
    module.apiMessage.set_pdu(message, response)
    return encoder.encode(message)


def encode_request(version: int, community: bytes, kind: str, oids: list[Oid],
                   request_id: int = 1, max_repetitions: int = 10,
                   values: list[Value] | None = None) -> bytes:
    """A request as a manager sends it: for tests and the benchmark's own client."""
    module = api.PROTOCOL_MODULES[version]
    cls = {"get": "GetRequestPDU", "getnext": "GetNextRequestPDU",
           "getbulk": "GetBulkRequestPDU", "set": "SetRequestPDU"}[kind]
    pdu = getattr(module, cls)()
    (module.apiBulkPDU if kind == "getbulk" else module.apiPDU).set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, request_id)
    if kind == "getbulk":
        module.apiBulkPDU.set_max_repetitions(pdu, max_repetitions)
    given = values or [None] * len(oids)
    module.apiPDU.set_varbinds(pdu, [(oid, _to_asn1(module, v))
                                     for oid, v in zip(oids, given, strict=True)])
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


def decode_response(data: bytes) -> tuple[int, int, int, list[tuple[Oid, Value]]]:
    """(request id, error status, error index, varbinds) of a Response: the manager's side."""
    version = int(api.decodeMessageVersion(data))
    module = api.PROTOCOL_MODULES[version]
    message, _ = decoder.decode(data, asn1Spec=module.Message())
    pdu = module.apiMessage.get_pdu(message)
    return (int(module.apiPDU.get_request_id(pdu)), int(module.apiPDU.get_error_status(pdu)),
            int(module.apiPDU.get_error_index(pdu)),
            [(tuple(o), _from_asn1(v)) for o, v in module.apiPDU.get_varbinds(pdu)])


def _to_asn1(module: Any, value: Value) -> Any:
    if value is None:
        return module.Null("")
    if isinstance(value, _Exception):
        return {"noSuchObject": module.NoSuchObject, "noSuchInstance": module.NoSuchInstance,
                "endOfMibView": module.EndOfMibView}[value.name]("")
    if isinstance(value, bool):
        return module.Integer(int(value))
    if isinstance(value, int):
        return module.Integer(value)
    if isinstance(value, (bytes, str)):
        return module.OctetString(value.encode() if isinstance(value, str) else value)
    if isinstance(value, ObjectId):
        return module.ObjectIdentifier(value.oid)
    if isinstance(value, TimeTicks):
        return module.TimeTicks(value.hundredths & 0xFFFFFFFF)
    if isinstance(value, Counter32):
        return getattr(module, "Counter32", getattr(module, "Counter", None))(
            value.value & 0xFFFFFFFF)
    if isinstance(value, Gauge32):
        return getattr(module, "Gauge32", getattr(module, "Gauge", None))(
            min(value.value, 0xFFFFFFFF))
    if isinstance(value, IpAddress):
        return module.IpAddress(value.address)
    raise TypeError(f"no SNMP syntax for {type(value).__name__}")


def _from_asn1(value: Any) -> Value:
    name = type(value).__name__
    if name in ("NoSuchObject", "NoSuchInstance", "EndOfMibView"):
        return _Exception(name[0].lower() + name[1:])
    if name == "Null" or not value.isValue:
        return None
    if name in ("Integer", "Integer32", "Unsigned32"):
        return int(value)
    if name == "OctetString":
        return bytes(value)
    if name == "ObjectIdentifier":
        return ObjectId(tuple(value))
    if name == "TimeTicks":
        return TimeTicks(int(value))
    if name in ("Counter32", "Counter"):
        return Counter32(int(value))
    if name in ("Gauge32", "Gauge"):
        return Gauge32(int(value))
    if name == "IpAddress":
        return IpAddress(".".join(str(b) for b in bytes(value)))
    return _Exception(f"unsupported:{name}")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]
