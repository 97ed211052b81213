"""CAPF from either end: the codec and both sessions take any bytes in any state.

The contracts (`wire.capf`): the decoder and `decode_message` raise CapfProtocolError and
nothing else; a session's `receive_data` never raises for what the peer sends (a protocol
error ends the session with a ProtocolFailure event, and the server sends END_SESSION 7).
The sessions are driven into each state a real exchange reaches (authenticated, key
requested, certificate delivered, fetch, delete) before the hostile bytes arrive.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fuzz_support import CHUNKS, FUZZ, chunked, fewer, mutated
from hypothesis import given
from hypothesis import strategies as st

from cucme_lab.wire.capf import (
    AuthType,
    CapfClientSession,
    CapfDecoder,
    CapfDevice,
    CapfProtocolError,
    CapfServerSession,
    CertificateCredential,
    CertificateRequired,
    Command,
    HashedSignature,
    KeyType,
    Message,
    NestedCertificate,
    Operation,
    ServerState,
    SudiData,
    Tag,
    decode_message,
    encode,
)
from cucme_lab.wire.capf._crypto import public_key_der
from cucme_lab.wire.capf._messages import _KINDS, _Kind

DATA = Path(__file__).resolve().parents[1] / "data" / "phone-security"
NAME = "SEP001122334455"
LSC = CertificateCredential.from_pem((DATA / "SEP001122334455-lsc.pem").read_bytes())
CA_CERT = x509.load_pem_x509_certificate((DATA / "capf.pem").read_bytes())
RSA_KEY = rsa.generate_private_key(65537, 1024)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
DERS = [LSC.certificate_der, CA_CERT.public_bytes(serialization.Encoding.DER),
        public_key_der(RSA_KEY), public_key_der(EC_KEY)]
SESSION_ID = 0x1234

# --- element values by kind: typed values the encoder accepts, and odd ones -------------------
_BYTES = st.one_of(st.binary(max_size=64), st.sampled_from(DERS),
                   st.sampled_from(DERS).map(lambda d: d[: len(d) // 2]))
_VALUES = {
    _Kind.U8: st.integers(0, 0xFF),
    _Kind.U16: st.one_of(st.sampled_from([0, 512, 1024, 2048, 4096, 0xFFFF]),
                         st.integers(0, 0xFFFF)),
    _Kind.STRING: st.one_of(st.just(NAME), st.sampled_from(["SEP0011223344AA", "", "1234"]),
                            st.text(max_size=40).filter(lambda s: "\0" not in s)),
    _Kind.BYTES: _BYTES,
    _Kind.CERTIFICATE: st.builds(NestedCertificate, _BYTES, st.integers(0, 0xFF)),
    _Kind.HASHED: st.builds(HashedSignature, st.integers(0, 0xFF), st.binary(max_size=300)),
    _Kind.SUDI: st.builds(SudiData, _BYTES, st.binary(max_size=200), st.binary(max_size=200)),
}


@st.composite
def messages(draw: st.DrawFn, session_id: int = SESSION_ID) -> bytes:
    """A well-formed CAPF message of any command with any known elements: it reaches the
    session's handling of values, where random bytes stop at the codec."""
    tags = draw(st.lists(st.sampled_from(sorted(_KINDS)), unique=True, max_size=6))
    elements = tuple((tag, draw(_VALUES[_KINDS[tag]])) for tag in tags)
    command = draw(st.sampled_from(Command))
    sid = draw(st.one_of(st.just(session_id), st.just(session_id), st.integers(0, 0xFFFFFFFF)))
    try:
        return encode(Message(command, sid, elements))
    except CapfProtocolError:  # a value the encoder refuses (too long): send its command alone
        return encode(Message(command, sid))


def _peer_bytes(session_id: int = SESSION_ID) -> st.SearchStrategy[bytes]:
    one = st.one_of(messages(session_id), messages(session_id),
                    st.binary(max_size=40), mutated(_seeds(session_id)))
    return st.lists(one, min_size=1, max_size=5).map(b"".join)


def _seeds(session_id: int) -> list[bytes]:
    """Messages of a real exchange, for the mutator (an LSC authentication's included)."""
    build = Message.build
    request = encode(build(Command.AUTH_REQUEST, session_id, version=3, auth_type=0))
    by_lsc = CapfClientSession(NAME, lsc=LSC, auth_mode=AuthType.LSC).receive_data(request)
    return [by_lsc.data] + [encode(m) for m in (
        build(Command.AUTH_RESPONSE, session_id, reason=1, version=3, device_name=NAME,
              password=""),
        build(Command.KEY_GENERATE_RESPONSE, session_id, public_key=public_key_der(RSA_KEY)),
        build(Command.STORE_CERTIFICATE_RESPONSE, session_id, reason=1),
        build(Command.FETCH_CERTIFICATE_RESPONSE, session_id, reason=1,
              certificate=NestedCertificate(LSC.certificate_der)),
        build(Command.AUTH_REQUEST, session_id, version=3, auth_type=0),
        build(Command.KEY_GENERATE_REQUEST, session_id, key_size=1024, key_type=KeyType.RSA),
        build(Command.STORE_CERTIFICATE_REQUEST, session_id, certificate_type=1,
              certificate=NestedCertificate(LSC.certificate_der)),
        build(Command.END_SESSION, session_id, reason=1),
    )]


# --- the codec ---------------------------------------------------------------------------------

@FUZZ
@given(st.binary(max_size=600), CHUNKS, st.booleans())
def test_decoder_random_bytes_raise_only_protocol_error(data, sizes, eof) -> None:
    decoder = CapfDecoder()
    try:
        for piece in [*chunked(data, sizes), *([b""] if eof else [])]:
            decoder.feed(piece)
            while isinstance(decoder.next_event(), Message):
                pass
    except CapfProtocolError:
        pass


@FUZZ
@given(st.one_of(messages(), mutated(_seeds(SESSION_ID))))
def test_decode_message_and_its_fields_raise_only_protocol_error(data: bytes) -> None:
    try:
        message = decode_message(data)
        for tag in Tag:  # the typed reads the sessions make
            name = tag.name.lower()
            if hasattr(Message, name):
                getattr(message, name)
    except CapfProtocolError:
        pass


# --- the server session, in each state ----------------------------------------------------------

DEVICES = {
    "install-null": CapfDevice(NAME, Operation.INSTALL, AuthType.NO_PASSWORD, key_size=1024),
    "install-ec": CapfDevice(NAME, Operation.INSTALL, AuthType.NO_PASSWORD, key_type=KeyType.EC,
                             curve=0),
    "install-pw": CapfDevice(NAME, Operation.INSTALL, AuthType.PASSWORD, "123456", 1024),
    "install-lsc": CapfDevice(NAME, Operation.INSTALL, AuthType.LSC, key_size=1024),
    "install-mic": CapfDevice(NAME, Operation.INSTALL, AuthType.MIC, key_size=1024),
    "fetch": CapfDevice(NAME, Operation.FETCH, AuthType.NO_PASSWORD),
    "delete": CapfDevice(NAME, Operation.DELETE, AuthType.NO_PASSWORD),
    "none": CapfDevice(NAME, Operation.NONE, AuthType.NO_PASSWORD),
}


def _server_at(device: str, stage: str) -> CapfServerSession:
    """A server session for `device`, driven by a good phone to `stage`."""
    entry = DEVICES[device]
    server = CapfServerSession(SESSION_ID, {NAME: entry}, trusted_issuers=[CA_CERT])
    server.start()
    if stage == "auth":
        return server
    key = EC_KEY if entry.key_type is KeyType.EC else RSA_KEY
    phone = CapfClientSession(NAME, password=entry.password or None, lsc=LSC, mic=LSC,
                              auth_mode=entry.auth_mode, key=key)
    step = phone.receive_data(encode(Message.build(Command.AUTH_REQUEST, SESSION_ID,
                                                   version=3, auth_type=0)))
    reply = server.receive_data(step.data)
    if stage == "key" or server.state is not ServerState.AWAIT_KEY:
        return server
    step = phone.receive_data(reply.data)
    reply = server.receive_data(step.data)
    required = [e for e in reply.events if isinstance(e, CertificateRequired)]
    if stage == "issue" or not required:
        return server
    server.issue_certificate(LSC.certificate_der)
    return server


@fewer(0.8)
@given(st.sampled_from(sorted(DEVICES)), st.sampled_from(["auth", "key", "issue", "store"]),
       _peer_bytes(), CHUNKS, st.booleans())
def test_server_session_never_raises_on_phone_bytes(device, stage, data, sizes, eof) -> None:
    server = _server_at(device, stage)
    for piece in [*chunked(data, sizes), *([b""] if eof else [])]:
        step = server.receive_data(piece)
        assert isinstance(step.data, bytes)
        if any(isinstance(e, CertificateRequired) for e in step.events):
            # what the service does with it: issue, which the session must then allow
            assert server.state is ServerState.AWAIT_ISSUE, step.events
            server.issue_certificate(LSC.certificate_der)
    if server.closed:
        assert server.receive_data(b"junk").data == b""


def test_a_key_with_more_bytes_behind_it_asks_for_no_certificate_it_cannot_take() -> None:
    """Found by the campaign: KEY_GENERATE_RESPONSE and another message in one read gave
    CertificateRequired and then ended the session (the second message is out of turn), so
    the service's issue_certificate() raised CapfUsageError out of the connection."""
    server = _server_at("install-null", "key")
    key = encode(Message.build(Command.KEY_GENERATE_RESPONSE, SESSION_ID,
                               public_key=public_key_der(RSA_KEY)))
    step = server.receive_data(key + key)
    assert server.closed
    assert not any(isinstance(e, CertificateRequired) for e in step.events)
    assert step.data  # END_SESSION 7 for the message out of turn


# --- the client session (the simulated phone), in each state -----------------------------------

def _client_at(stage: str, with_key: bool) -> CapfClientSession:
    phone = CapfClientSession(NAME, password="123456", lsc=LSC, mic=LSC,
                              key=RSA_KEY if with_key else None)
    if stage == "auth":
        return phone
    phone.receive_data(encode(Message.build(Command.AUTH_REQUEST, SESSION_ID, version=3,
                                            auth_type=0)))
    if stage == "command":
        return phone
    phone.receive_data(encode(Message.build(Command.KEY_GENERATE_REQUEST, SESSION_ID,
                                            key_size=1024, key_type=KeyType.RSA)))
    return phone


@fewer(0.8)
@given(st.sampled_from(["auth", "command", "key"]), st.booleans(), _peer_bytes(), CHUNKS,
       st.booleans())
def test_client_session_never_raises_on_server_bytes(stage, with_key, data, sizes, eof) -> None:
    phone = _client_at(stage, with_key)
    for piece in [*chunked(data, sizes), *([b""] if eof else [])]:
        step = phone.receive_data(piece)
        assert isinstance(step.data, bytes)
