"""CAPF codec and session tests against the reference traces in tests/data/phone-security."""

from __future__ import annotations

import datetime
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from cucme_lab.wire.capf import (
    CLOSED,
    NEED_DATA,
    AuthRequested,
    AuthType,
    CapfClientSession,
    CapfDecoder,
    CapfDevice,
    CapfEvent,
    CapfProtocolError,
    CapfServerSession,
    CapfStep,
    CapfUsageError,
    CertificateCheckRequired,
    CertificateCredential,
    CertificateDeleted,
    CertificateFetched,
    CertificateReceived,
    CertificateRequired,
    CertificateStored,
    CertificateType,
    Command,
    Curve,
    DeleteRequested,
    DeviceAuthenticated,
    FetchRequested,
    HashCode,
    HashedSignature,
    KeyRequired,
    KeyType,
    Message,
    NestedCertificate,
    Operation,
    ProtocolFailure,
    PublicKeySent,
    Reason,
    SessionEnded,
    SudiData,
    Tag,
    decode_message,
    encode,
)
from cucme_lab.wire.capf._crypto import auth_signed_input, public_key_der, sign, verify

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "phone-security"

# --------------------------------------------------------------------------- trace loading

_LINE = re.compile(r"^TRACE (<<|>>)\s+(\d+)B: ([0-9a-f ]+?)\s*(?:\[.*\])?$")


@dataclass(frozen=True)
class Wire:
    direction: str  # "<<" server to phone, ">>" phone to server
    data: bytes


def load_trace(name: str) -> list[Wire]:
    """Whole messages in trace order; split by the header length, not by the codec under test."""
    pending = {"<<": b"", ">>": b""}
    messages: list[Wire] = []
    for line in (FIXTURES / name).read_text().splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        direction, count, hexdata = match.groups()
        chunk = bytes.fromhex(hexdata)
        assert len(chunk) == int(count)
        pending[direction] += chunk
        buf = pending[direction]
        while len(buf) >= 8 and len(buf) >= 8 + struct.unpack(">H", buf[6:8])[0]:
            end = 8 + struct.unpack(">H", buf[6:8])[0]
            messages.append(Wire(direction, buf[:end]))
            buf = buf[end:]
        pending[direction] = buf
    assert pending == {"<<": b"", ">>": b""}
    return messages


def pem_credential(name: str) -> CertificateCredential:
    return CertificateCredential.from_pem((FIXTURES / name).read_bytes())


def load_cert(name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((FIXTURES / name).read_bytes())


TRACES = [
    "capf-install-nullstring.trace.txt",
    "capf-install-authstring.trace.txt",
    "capf-wrong-authstring.trace.txt",
    "capf-unknown-device.trace.txt",
]
NULL_NAME, AUTH_NAME, UNKNOWN_NAME = "SEP001122334455", "SEP0011223344AA", "SEP0011223344BB"
LSC_NULL = pem_credential("SEP001122334455-lsc.pem")
LSC_AUTH = pem_credential("SEP0011223344AA-lsc.pem")
CA = pem_credential("capf.pem")
CA_CERT = load_cert("capf.pem")
OTHER_CA_CERT = load_cert("sast1.pem")
EC_KEY = ec.generate_private_key(ec.SECP256R1())

INSTALL = [
    (Command.AUTH_REQUEST, [Tag.VERSION, Tag.AUTH_TYPE]),
    (Command.AUTH_RESPONSE, [Tag.REASON, Tag.VERSION, Tag.PASSWORD, Tag.DEVICE_NAME]),
    (Command.KEY_GENERATE_REQUEST, [Tag.KEY_SIZE, Tag.KEY_TYPE]),
    (Command.REQUEST_IN_PROGRESS, []),
    (Command.KEY_GENERATE_RESPONSE, [Tag.PUBLIC_KEY]),
    (Command.STORE_CERTIFICATE_REQUEST, [Tag.CERTIFICATE_TYPE, Tag.CERTIFICATE]),
    (Command.STORE_CERTIFICATE_RESPONSE, [Tag.REASON]),
    (Command.END_SESSION, [Tag.REASON]),
]
REFUSED = INSTALL[:2] + INSTALL[-1:]
STRUCTURE = {
    "capf-install-nullstring.trace.txt": (1, NULL_NAME, "", INSTALL, Reason.UPDATE_CERTIFICATE),
    "capf-install-authstring.trace.txt": (
        2,
        AUTH_NAME,
        "123456",
        INSTALL,
        Reason.UPDATE_CERTIFICATE,
    ),
    "capf-wrong-authstring.trace.txt": (3, AUTH_NAME, "000000", REFUSED, Reason.INVALID_ELEMENT),
    "capf-unknown-device.trace.txt": (4, UNKNOWN_NAME, "", REFUSED, Reason.UNKNOWN_DEVICE),
}
LSC_FOR = {NULL_NAME: LSC_NULL, AUTH_NAME: LSC_AUTH}


def trace_reason(name: str) -> int:
    last = decode_message(load_trace(name)[-1].data)
    assert last.command == Command.END_SESSION and last.reason is not None
    return last.reason


# --------------------------------------------------------------------------- codec vs traces


@pytest.mark.parametrize("name", TRACES)
def test_trace_structure(name: str) -> None:
    session_id, device, password, flow, end_reason = STRUCTURE[name]
    wires = load_trace(name)
    messages = [decode_message(w.data) for w in wires]
    assert [(m.command, list(m.tags())) for m in messages] == flow
    server_to_phone = {
        Command.AUTH_REQUEST,
        Command.KEY_GENERATE_REQUEST,
        Command.STORE_CERTIFICATE_REQUEST,
        Command.END_SESSION,
    }
    for wire, message in zip(wires, messages, strict=True):
        assert message.session_id == session_id
        assert (wire.direction == "<<") == (message.command in server_to_phone)
    auth_request, auth_response = messages[0], messages[1]
    assert (auth_request.version, auth_request.auth_type) == (3, AuthType.NONE)
    assert auth_response.reason == Reason.UPDATE_CERTIFICATE
    assert (auth_response.version, auth_response.device_name) == (3, device)
    assert auth_response.password == password
    assert messages[-1].reason == end_reason
    if flow is INSTALL:
        lsc = LSC_FOR[device]
        assert lsc is not None
        assert (messages[2].key_size, messages[2].key_type) == (1024, KeyType.RSA)
        cert = x509.load_der_x509_certificate(lsc.certificate_der)
        assert messages[4].public_key == public_key_der(cert.public_key())
        assert messages[5].certificate_type == CertificateType.LSC
        assert messages[5].certificate == NestedCertificate(
            lsc.certificate_der, CertificateType.LSC
        )
        assert messages[6].reason == Reason.UPDATE_CERTIFICATE


@pytest.mark.parametrize("name", TRACES)
def test_trace_reencodes_byte_for_byte(name: str) -> None:
    for wire in load_trace(name):
        message = decode_message(wire.data)
        assert encode(message) == wire.data
        rebuilt = Message.build(
            message.command,
            message.session_id,
            **{Tag(tag).name.lower(): value for tag, value in message.elements},
        )
        assert encode(rebuilt) == wire.data  # the builder's order is the reference order


@pytest.mark.parametrize("name", TRACES)
@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_streaming_decoder_on_trace(name: str, chunk: int) -> None:
    for direction in ("<<", ">>"):
        wires = [w.data for w in load_trace(name) if w.direction == direction]
        stream = b"".join(wires)
        decoder = CapfDecoder()
        got = []
        for i in range(0, len(stream), chunk):
            decoder.feed(stream[i : i + chunk])
            while (event := decoder.next_event()) is not NEED_DATA:
                assert isinstance(event, Message)
                got.append(encode(event))
        decoder.feed(b"")
        assert decoder.next_event() is CLOSED
        assert got == wires


# --------------------------------------------------------------------------- helpers


def issue(public_key: object, device_name: str, ca: CertificateCredential = CA) -> bytes:
    """A minimal LSC for ``public_key``, signed by the fixture CAPF key."""
    assert ca.private_key is not None
    ca_cert = x509.load_der_x509_certificate(ca.certificate_der)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca.private_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


@dataclass
class Run:
    server_events: list[CapfEvent]
    client_events: list[CapfEvent]
    to_client: list[bytes]
    to_server: list[bytes]


def run(
    server: CapfServerSession,
    client: CapfClientSession,
    *,
    issue_ok: bool = True,
    key: object = None,
    verdict: str = "",
) -> Run:
    """Pump both sessions in memory, answering caller events, until the exchange stops.

    A certificate check is answered by `verdict`: accepted when empty, else refused with it.
    """
    result = Run([], [], [], [])
    step = server.start()
    for _ in range(50):
        if step.data:
            result.to_client.append(step.data)
        result.server_events.extend(step.events)
        follow: list[CapfStep] = []
        for event in step.events:
            if isinstance(event, CertificateCheckRequired):
                follow.append(server.refuse_certificate(verdict) if verdict
                              else server.accept_certificate())
            if isinstance(event, CertificateRequired):
                follow.append(
                    server.issue_certificate(issue(event.public_key, event.device_name))
                    if issue_ok
                    else server.decline_certificate()
                )
        for extra in follow:
            result.server_events.extend(extra.events)
            result.to_client.append(extra.data)
        cstep = client.receive_data(step.data + b"".join(f.data for f in follow))
        result.client_events.extend(cstep.events)
        data = cstep.data
        for event in cstep.events:
            if isinstance(event, KeyRequired):
                kstep = client.fail_key_generation() if key is None else client.provide_key(key)  # type: ignore[arg-type]
                result.client_events.extend(kstep.events)
                data += kstep.data
        if data:
            result.to_server.append(data)
        if not data:
            break
        step = server.receive_data(data)
    return result


def events_of(events: list[CapfEvent], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def devices(*entries: CapfDevice) -> dict[str, CapfDevice]:
    return {d.name: d for d in entries}


# --------------------------------------------------------------------------- in-memory flows


def test_install_with_auth_string() -> None:
    db = devices(CapfDevice(AUTH_NAME, Operation.INSTALL, AuthType.PASSWORD, "123456", 1024))
    server = CapfServerSession(7, db)
    client = CapfClientSession(AUTH_NAME, password="123456", key=LSC_AUTH.private_key)
    r = run(server, client)
    assert server.closed and client.closed
    stored = events_of(r.server_events, CertificateStored)
    assert len(stored) == 1 and stored[0].accepted
    received = events_of(r.client_events, CertificateReceived)
    assert received[0].accepted and received[0].certificate_der == stored[0].certificate_der
    assert r.server_events[-1] == SessionEnded(Reason.UPDATE_CERTIFICATE, "install finished")
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.UPDATE_CERTIFICATE)]
    assert events_of(r.client_events, AuthRequested)[0].answered_with is AuthType.PASSWORD
    assert client.lsc is not None and client.lsc.private_key is LSC_AUTH.private_key
    # Same message shapes as the reference trace.
    ours = [decode_message(m) for chunk in r.to_client + r.to_server for m in split(chunk)]
    theirs = [decode_message(w.data) for w in load_trace("capf-install-authstring.trace.txt")]
    assert sorted((m.command, m.tags()) for m in ours) == sorted(
        (m.command, m.tags()) for m in theirs
    )


def split(data: bytes) -> list[bytes]:
    out = []
    while data:
        end = 8 + struct.unpack(">H", data[6:8])[0]
        out.append(data[:end])
        data = data[end:]
    return out


def test_install_with_null_string_and_key_from_caller() -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, AuthType.NO_PASSWORD, key_size=1024))
    server = CapfServerSession(1, db)
    client = CapfClientSession(NULL_NAME)
    r = run(server, client, key=LSC_NULL.private_key)
    assert events_of(r.client_events, KeyRequired) == [KeyRequired(KeyType.RSA, 1024, None)]
    assert events_of(r.client_events, PublicKeySent)[0].public_key_der == public_key_der(
        LSC_NULL.private_key
    )  # type: ignore[arg-type]
    assert events_of(r.server_events, CertificateStored)[0].accepted
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.UPDATE_CERTIFICATE)]
    first = decode_message(r.to_server[0])
    assert first.password == "" and first.device_name == NULL_NAME


def test_wrong_auth_string_matches_trace() -> None:
    db = devices(CapfDevice(AUTH_NAME, Operation.INSTALL, AuthType.PASSWORD, "123456"))
    r = run(CapfServerSession(3, db), CapfClientSession(AUTH_NAME, password="000000"))
    expected = trace_reason("capf-wrong-authstring.trace.txt")
    assert expected == Reason.INVALID_ELEMENT
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(expected)]
    assert events_of(r.server_events, SessionEnded)[0].reason == expected
    assert not events_of(r.server_events, ProtocolFailure)


def test_unknown_device_matches_trace() -> None:
    db = devices(CapfDevice(AUTH_NAME, Operation.INSTALL, AuthType.NO_PASSWORD))
    r = run(CapfServerSession(4, db), CapfClientSession(UNKNOWN_NAME))
    expected = trace_reason("capf-unknown-device.trace.txt")
    assert expected == Reason.UNKNOWN_DEVICE
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(expected)]


def test_no_operation_ends_with_reason_0() -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.NONE))
    r = run(CapfServerSession(5, db), CapfClientSession(NULL_NAME))
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.NO_ACTION)]
    assert events_of(r.server_events, DeviceAuthenticated)


@pytest.mark.parametrize("has_lsc", [True, False])
def test_fetch(has_lsc: bool) -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.FETCH))
    client = CapfClientSession(NULL_NAME, lsc=LSC_NULL if has_lsc else None)
    r = run(CapfServerSession(6, db), client)
    expected = LSC_NULL.certificate_der if has_lsc and LSC_NULL else None
    assert events_of(r.server_events, CertificateFetched) == [
        CertificateFetched(NULL_NAME, expected)
    ]
    assert events_of(r.client_events, FetchRequested) == [FetchRequested(has_lsc)]
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.NO_ACTION)]
    response = decode_message(r.to_server[1])
    assert response.command == Command.FETCH_CERTIFICATE_RESPONSE
    assert response.reason == (Reason.UPDATE_CERTIFICATE if has_lsc else Reason.INVALID_ELEMENT)


@pytest.mark.parametrize("has_lsc", [True, False])
def test_delete(has_lsc: bool) -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.DELETE))
    client = CapfClientSession(NULL_NAME, lsc=LSC_NULL if has_lsc else None)
    r = run(CapfServerSession(8, db), client)
    assert events_of(r.server_events, CertificateDeleted) == [
        CertificateDeleted(NULL_NAME, has_lsc)
    ]
    assert events_of(r.client_events, DeleteRequested) == [DeleteRequested(has_lsc)]
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.UPDATE_CERTIFICATE)]
    assert client.lsc is None


@pytest.mark.parametrize("advertise", [AuthType.NONE, AuthType.LSC])
def test_install_authenticated_by_lsc(advertise: AuthType) -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, AuthType.LSC, key_size=1024))
    server = CapfServerSession(9, db, auth_type=advertise, trusted_issuers=[CA_CERT])
    client = CapfClientSession(
        NULL_NAME, auth_mode=AuthType.LSC, lsc=LSC_NULL, sudi=LSC_NULL, key=LSC_AUTH.private_key
    )
    r = run(server, client)
    auth = decode_message(r.to_server[0])
    assert {Tag.CERTIFICATE, Tag.SIGNED_DATA, Tag.SHA2_SIGNED_DATA, Tag.SUDI_DATA} <= set(
        auth.tags()
    )
    assert events_of(r.server_events, DeviceAuthenticated) == [
        DeviceAuthenticated(NULL_NAME, AuthType.LSC)
    ]
    assert events_of(r.server_events, CertificateStored)[0].accepted
    assert client.lsc is not None and client.lsc.private_key is LSC_AUTH.private_key


def test_mic_auth_with_untrusted_issuer_is_refused() -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, AuthType.MIC))
    server = CapfServerSession(10, db, trusted_issuers=[OTHER_CA_CERT])
    client = CapfClientSession(NULL_NAME, auth_mode=AuthType.MIC, mic=LSC_NULL)
    r = run(server, client)
    assert events_of(r.client_events, AuthRequested)[0].answered_with is AuthType.MIC
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.INVALID_ELEMENT)]


@pytest.mark.parametrize("mode", [AuthType.LSC, AuthType.MIC], ids=["LSC", "MIC"])
def test_another_devices_certificate_is_refused(mode: AuthType) -> None:
    """AUTH_NAME's LSC, signed by its own key, must not authenticate NULL_NAME (the reference
    server accepts it and issues NULL_NAME an LSC)."""
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, mode, key_size=1024))
    server = CapfServerSession(21, db, trusted_issuers=[CA_CERT])
    kind = "lsc" if mode is AuthType.LSC else "mic"
    client = CapfClientSession(NULL_NAME, auth_mode=mode, key=LSC_NULL.private_key,
                               **{kind: LSC_AUTH})
    r = run(server, client, key=LSC_NULL.private_key)
    assert events_of(r.server_events, DeviceAuthenticated) == []
    assert events_of(r.server_events, CertificateRequired) == []
    assert events_of(r.server_events, SessionEnded) == [SessionEnded(
        Reason.INVALID_ELEMENT, f"authentication failed for {NULL_NAME}: the certificate is "
        f"issued to {AUTH_NAME}, not to {NULL_NAME}")]


@pytest.mark.parametrize(("mode", "accepted"), [(AuthType.MIC, True), (AuthType.LSC, False)],
                         ids=["MIC", "LSC"])
def test_a_mic_may_carry_the_model_before_the_device_name(mode: AuthType, accepted: bool) -> None:
    key = LSC_NULL.private_key
    assert key is not None
    mic = CertificateCredential(issue(key.public_key(), f"CP-7962G-{NULL_NAME}"), key)
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, mode, key_size=1024))
    kind = "lsc" if mode is AuthType.LSC else "mic"
    r = run(CapfServerSession(22, db, trusted_issuers=[CA_CERT]),
            CapfClientSession(NULL_NAME, auth_mode=mode, **{kind: mic}), key=key)
    assert bool(events_of(r.server_events, DeviceAuthenticated)) is accepted


@pytest.mark.parametrize("verdict", ["", "certificate has expired"])
def test_checked_sessions_wait_for_the_callers_verdict(verdict: str) -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, AuthType.LSC, key_size=1024))
    server = CapfServerSession(23, db, trusted_issuers=[CA_CERT], check_certificates=True)
    client = CapfClientSession(NULL_NAME, auth_mode=AuthType.LSC, lsc=LSC_NULL)
    r = run(server, client, key=LSC_NULL.private_key, verdict=verdict)
    assert events_of(r.server_events, CertificateCheckRequired) == [CertificateCheckRequired(
        NULL_NAME, AuthType.LSC, LSC_NULL.certificate_der)]
    if verdict:
        assert events_of(r.server_events, DeviceAuthenticated) == []
        assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.INVALID_ELEMENT)]
        assert events_of(r.server_events, SessionEnded)[0].detail.endswith(verdict)
    else:
        assert events_of(r.server_events, CertificateStored)[0].accepted


def test_certificate_auth_with_bad_signature_is_refused() -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, AuthType.LSC))
    forged = CertificateCredential(LSC_NULL.certificate_der, LSC_AUTH.private_key)
    r = run(
        CapfServerSession(11, db, trusted_issuers=[CA_CERT]),
        CapfClientSession(NULL_NAME, auth_mode=AuthType.LSC, lsc=forged),
    )
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.INVALID_ELEMENT)]


def test_certificate_auth_without_certificate_is_refused() -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, AuthType.LSC))
    r = run(CapfServerSession(12, db), CapfClientSession(NULL_NAME, password="1234"))
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.INVALID_ELEMENT)]


def test_ec_install() -> None:
    db = devices(
        CapfDevice(NULL_NAME, Operation.INSTALL, key_type=KeyType.EC, curve=Curve.SECP256R1)
    )
    client = CapfClientSession(NULL_NAME, key=EC_KEY)
    r = run(CapfServerSession(13, db), client)
    request = decode_message(r.to_client[1])
    assert (request.command, request.tags()) == (
        Command.KEY_GENERATE_REQUEST,
        (Tag.KEY_TYPE, Tag.CURVE),
    )
    assert events_of(r.server_events, CertificateStored)[0].accepted


def test_key_generation_failure_and_declined_issue() -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, key_size=1024))
    r = run(CapfServerSession(14, db), CapfClientSession(NULL_NAME))  # no key: fails
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.INVALID_ELEMENT)]
    r = run(
        CapfServerSession(15, db),
        CapfClientSession(NULL_NAME, key=LSC_NULL.private_key),
        issue_ok=False,
    )
    assert events_of(r.client_events, SessionEnded) == [SessionEnded(Reason.INVALID_ELEMENT)]


def test_wrong_size_key_is_refused_and_provide_key_checks_shape() -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, key_size=2048))
    client = CapfClientSession(NULL_NAME)
    server = CapfServerSession(16, db)
    step = client.receive_data(
        server.receive_data(client.receive_data(server.start().data).data).data
    )
    assert step.events == (KeyRequired(KeyType.RSA, 2048, None),)
    with pytest.raises(ValueError):
        client.provide_key(LSC_NULL.private_key)
    with pytest.raises(CapfUsageError):
        server.issue_certificate(b"x")


def test_client_rejects_certificate_for_another_key() -> None:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, key_size=1024))
    server = CapfServerSession(17, db)
    client = CapfClientSession(NULL_NAME, key=LSC_NULL.private_key)
    out = client.receive_data(server.start().data)
    step = server.receive_data(out.data)
    step = server.receive_data(client.receive_data(step.data).data)
    assert isinstance(step.events[0], CertificateRequired)
    step = server.issue_certificate(LSC_AUTH.certificate_der)  # wrong key on purpose
    cstep = client.receive_data(step.data)
    assert events_of(list(cstep.events), CertificateReceived)[0].accepted is False
    sstep = server.receive_data(cstep.data)
    assert events_of(list(sstep.events), CertificateStored)[0].accepted is False


# --------------------------------------------------------------------------- trace replays


@pytest.mark.parametrize("name", TRACES)
def test_server_replays_trace(name: str) -> None:
    """Our server, fed the reference phone's messages, writes the reference server's bytes."""
    session_id, device, _, _, _ = STRUCTURE[name]
    db = devices(
        CapfDevice(NULL_NAME, Operation.INSTALL, AuthType.NO_PASSWORD, key_size=1024),
        CapfDevice(AUTH_NAME, Operation.INSTALL, AuthType.PASSWORD, "123456", key_size=1024),
    )
    server = CapfServerSession(session_id, db)
    wires = load_trace(name)
    expected_out = b"".join(w.data for w in wires if w.direction == "<<")
    out = server.start().data
    for wire in wires:
        if wire.direction != ">>":
            continue
        step = server.receive_data(wire.data)
        out += step.data
        for event in step.events:
            if isinstance(event, CertificateRequired):
                lsc = LSC_FOR[device]
                assert lsc is not None
                cert = x509.load_der_x509_certificate(lsc.certificate_der)
                assert event.public_key_der == public_key_der(cert.public_key())
                out += server.issue_certificate(lsc.certificate_der).data
    assert out == expected_out
    assert server.closed


@pytest.mark.parametrize("name", TRACES)
def test_client_replays_trace(name: str) -> None:
    """Our phone, fed the reference server's messages, writes the reference phone's bytes."""
    _, device, password, _, end_reason = STRUCTURE[name]
    lsc = LSC_FOR.get(device)
    client = CapfClientSession(
        device, password=password or None, key=lsc.private_key if lsc else None
    )
    wires = load_trace(name)
    out = b""
    events: list[CapfEvent] = []
    for wire in wires:
        if wire.direction == "<<":
            step = client.receive_data(wire.data)
            out += step.data
            events.extend(step.events)
    assert out == b"".join(w.data for w in wires if w.direction == ">>")
    assert events[-1] == SessionEnded(end_reason)
    assert not events_of(events, ProtocolFailure)


def test_client_replays_trace_with_public_key_only() -> None:
    cert = x509.load_der_x509_certificate(LSC_NULL.certificate_der)
    client = CapfClientSession(NULL_NAME, key=cert.public_key())  # type: ignore[arg-type]
    wires = load_trace("capf-install-nullstring.trace.txt")
    out = b"".join(client.receive_data(w.data).data for w in wires if w.direction == "<<")
    assert out == b"".join(w.data for w in wires if w.direction == ">>")
    assert client.lsc == CertificateCredential(LSC_NULL.certificate_der, None)


# --------------------------------------------------------------------------- protocol errors


def _server_after_auth(session_id: int = 1) -> CapfServerSession:
    db = devices(CapfDevice(NULL_NAME, Operation.INSTALL, key_size=1024))
    server = CapfServerSession(session_id, db)
    server.start()
    auth = load_trace("capf-install-nullstring.trace.txt")[1].data
    server.receive_data(auth)
    return server


@pytest.mark.parametrize(
    "data",
    [
        b"\x55\x0a\x00\x00\x00\x02\x00\x04\x01\x00\x01\x01",  # wrong session id
        b"\x55\x0a\x00\x00\x00\x01\x00\x04\x01\x00\x01\x01",  # wrong command for the state
        b"\x54\x04",  # bad protocol id
        b"\x55\x11\x00\x00\x00\x01\x00\x00" * 2,  # REQUEST_IN_PROGRESS twice
    ],
)
def test_server_protocol_errors_end_with_reason_7(data: bytes) -> None:
    server = _server_after_auth()
    step = server.receive_data(data)
    assert isinstance(step.events[0], ProtocolFailure)
    assert step.events[-1].reason == Reason.INVALID_ELEMENT  # type: ignore[union-attr]
    assert step.data == b"\x55\x0f\x00\x00\x00\x01\x00\x04\x01\x00\x01\x07"
    assert server.closed and server.receive_data(b"more") == CapfStep()


def test_server_bad_version_and_peer_close() -> None:
    server = CapfServerSession(1, {})
    server.start()
    bad = encode(
        Message.build(
            Command.AUTH_RESPONSE, 1, reason=1, version=2, password="", device_name=NULL_NAME
        )
    )
    assert server.receive_data(bad).events[-1] == SessionEnded(
        Reason.INVALID_ELEMENT, "unsupported version 2"
    )
    server = CapfServerSession(1, {})
    server.start()
    step = server.receive_data(b"")
    assert step == CapfStep(b"", (ProtocolFailure("phone closed the connection"),))
    with pytest.raises(CapfUsageError):
        CapfServerSession(1, {}).receive_data(b"")


def test_client_protocol_errors() -> None:
    client = CapfClientSession(NULL_NAME)
    step = client.receive_data(b"\x55\x0f\x00\x00\x00\x01\x00\x04\x01\x00\x01\x01")
    assert step.data == b"" and isinstance(step.events[0], ProtocolFailure) and client.closed
    client = CapfClientSession(NULL_NAME)
    client.receive_data(load_trace("capf-install-nullstring.trace.txt")[0].data)
    step = client.receive_data(b"\x55\x0f\x00\x00\x00\x09\x00\x04\x01\x00\x01\x01")
    assert isinstance(step.events[0], ProtocolFailure)
    client = CapfClientSession(NULL_NAME)
    client.receive_data(load_trace("capf-install-nullstring.trace.txt")[0].data)
    assert isinstance(client.receive_data(b"").events[0], ProtocolFailure)


# --------------------------------------------------------------------------- decoder details


def test_decoder_needs_data_and_bounds() -> None:
    decoder = CapfDecoder(max_body_size=100)
    decoder.feed(b"\x55\x01\x00\x00")
    assert decoder.next_event() is NEED_DATA
    decoder.feed(b"\x00\x01\x00\x65")  # 101 > 100: refused from the header alone
    with pytest.raises(CapfProtocolError, match="exceeds"):
        decoder.next_event()
    with pytest.raises(CapfProtocolError):  # the error is sticky
        decoder.next_event()
    decoder = CapfDecoder()
    decoder.feed(b"\x55\x01\x00")
    decoder.feed(b"")
    with pytest.raises(CapfProtocolError, match="end of stream"):
        decoder.next_event()


@pytest.mark.parametrize(
    "body,reason",
    [
        (b"\x0e\x00\x00", "unknown element tag 14"),
        (b"\x07\x00\x02\x00\x03", "must be 1 byte"),
        (b"\x0a\x00\x01\x04", "must be 2 byte"),
        (b"\x0d\x00\x03SEP", "NUL-terminated"),
        (b"\x0d\x00\x03S\x00\x00", "NUL-terminated"),
        (b"\x0d\x00\x02\xff\x00", "UTF-8"),
        (b"\x07\x00\x01\x03\x07\x00\x01\x03", "duplicate"),
        (b"\x07\x00\x05\x03", "runs past"),
        (b"\x07\x00", "truncated"),
        (b"\x04\x00\x05\x02\x00\x02\x00\x01", "CERTIFICATE"),
        (b"\x04\x00\x06\x01\x00\x02\x00\x01\xff", "CERTIFICATE"),
        (b"\x14\x00\x04\x03\x00\x02\x00", "runs past"),
        (b"\x10\x00\x06\x00\x00\x00\x03\x00\x00", "SUDI_DATA"),
    ],
)
def test_malformed_bodies(body: bytes, reason: str) -> None:
    data = struct.pack(">BBIH", 0x55, 2, 1, len(body)) + body
    with pytest.raises(CapfProtocolError, match=reason):
        decode_message(data)


def test_unknown_command_and_encode_checks() -> None:
    with pytest.raises(CapfProtocolError, match="unknown command"):
        decode_message(b"\x55\x18\x00\x00\x00\x01\x00\x00")
    with pytest.raises(CapfProtocolError):
        encode(Message(Command.END_SESSION, 1, ((Tag.REASON, 256),)))
    with pytest.raises(CapfProtocolError):
        encode(Message(Command.END_SESSION, 1, ((Tag.DEVICE_NAME, b"raw"),)))
    with pytest.raises(CapfProtocolError):
        encode(Message(99, 1))
    with pytest.raises(CapfProtocolError):
        encode(Message(Command.END_SESSION, 1 << 32))


def test_structured_elements_round_trip() -> None:
    message = Message.build(
        Command.AUTH_RESPONSE,
        0xFFFFFFFF,
        reason=1,
        version=3,
        password="",
        device_name=NULL_NAME,
        certificate=NestedCertificate(b"\x30\x00", CertificateType.MIC),
        signed_data=b"s" * 128,
        sudi_data=SudiData(b"c" * 10, b"1" * 128, b"3" * 128),
        sha2_signed_data=HashedSignature(HashCode.SHA512, b"x" * 128),
        extra=[(Tag.REASON_INFO, b"why")],
    )
    data = encode(message)
    assert decode_message(data) == message
    assert data[8:].startswith(b"\x01\x00\x01\x01\x04\x00\x07\x01\x00\x04\x00\x02\x30\x00")


def test_crypto_signatures() -> None:
    data = auth_signed_input(NULL_NAME, LSC_NULL.certificate_der)
    public = LSC_NULL.private_key.public_key()
    for algorithm in (hashes.SHA1(), hashes.SHA512()):
        signature = sign(LSC_NULL.private_key, data, algorithm)
        assert verify(public, data, signature, algorithm)
        assert not verify(public, data + b"!", signature, algorithm)
    ec_sig = sign(EC_KEY, data, hashes.SHA1())
    assert verify(EC_KEY.public_key(), data, ec_sig, hashes.SHA1())


def test_device_record_validation() -> None:
    with pytest.raises(ValueError):
        CapfDevice("SEP00112233445", Operation.INSTALL)
    with pytest.raises(ValueError):
        CapfDevice(NULL_NAME, Operation.INSTALL, AuthType.PASSWORD, "12")
    with pytest.raises(ValueError):
        CapfDevice(NULL_NAME, Operation.INSTALL, key_size=1000)


# --------------------------------------------------------------------------- fuzzing


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=40))
def test_arbitrary_bytes_only_raise_protocol_error(data: bytes, chunk: int) -> None:
    decoder = CapfDecoder(max_body_size=256)
    try:
        for i in range(0, len(data), chunk):
            decoder.feed(data[i : i + chunk])
            while isinstance(decoder.next_event(), Message):
                pass
        decoder.feed(b"")
        while isinstance(decoder.next_event(), Message):
            pass
    except CapfProtocolError:
        pass


@settings(max_examples=400, deadline=None)
@given(
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=0, max_value=0xFFFFFFFF),
    st.lists(st.tuples(st.integers(0, 22), st.binary(max_size=40)), max_size=6),
)
def test_plausible_messages_decode_or_raise_protocol_error(
    command: int, session_id: int, raw: list[tuple[int, bytes]]
) -> None:
    body = b"".join(struct.pack(">BH", tag, len(value)) + value for tag, value in raw)
    data = struct.pack(">BBIH", 0x55, command, session_id, len(body)) + body
    try:
        message = decode_message(data)
    except CapfProtocolError:
        return
    assert encode(message) == data


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_sessions_never_raise_on_peer_bytes(data: bytes) -> None:
    server = CapfServerSession(1, devices(CapfDevice(NULL_NAME, Operation.INSTALL)))
    server.start()
    step = server.receive_data(b"\x55" + data)
    assert all(not isinstance(e, CertificateRequired) for e in step.events)
    client = CapfClientSession(NULL_NAME)
    client.receive_data(b"\x55" + data)
