"""A fuzzing campaign against a live lab: malformed input to every network parser, then checks.

The lab is started as the tests start one (`open_lab`, the configuration typed as lines, the
TLS services' certificates from the tests' `LabCA`, 1024-bit keys), on its own loopback range;
clients bind 127.0.N.M source addresses, so every byte stays on 127.0.0.0/8. Then, one parser
after another, until `--count` inputs or `--seconds` pass:

- tftp: datagrams to the TFTP server process (mutated requests, odd names and options,
  random bytes), from 64 source addresses; a DATA or OACK answer is ended with an ERROR;
- sccp: frames over plain TCP (port 2000), after a good Register half of the time: catalogue
  messages with random contents, mutated frames, random bytes;
- http: requests (paths, SCEP operations and queries, headers, bodies, mutated PKIOperation
  pkiMessages signed by the client), a few connections at a time, kept alive while they last;
- telnet: negotiation bytes (options, NAWS and TTYPE subnegotiations, cut sequences, random
  bytes, some Enters) on vty lines without login, so what is typed reaches a session;
- capf: CAPF messages over TLS (3804) with the session id the server gave, after a good
  AUTH_RESPONSE half of the time;
- cli: `--cli-lines` lines of random bytes and as many walked from the grammar in every mode,
  through a `Session` on a router of its own (a grammar walk may type `no ip http server`,
  which would take a listener away from the checks that follow; tests/fuzz does the same).

Printed per parser: inputs sent, how many got past the framing to the code behind it (SCCP
messages the Station handled, HTTP requests dispatched, CAPF messages a session handled, CLI
lines that ran a command), connections, the rate, exceptions escaping (Python log records
at ERROR from the lab, and `%SYS-3-CONN_FAULT` / `%SYS-3-PROC_RESTART` lines in the router's
log, which the services write for a fault they contained), service restarts
(`lab.services.running[...].restarts`), and whether the service still answers a good request.

Run: python benchmarks/fuzz_campaign.py [--count N] [--seconds S] [--capf-count N]
                                        [--cli-lines N] [--only tftp,sccp,...] [--seed N]
"""

from __future__ import annotations

import argparse
import base64
import inspect
import logging
import math
import random
import re
import struct
import sys
import tempfile
import time
import traceback
import urllib.parse
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "fuzz")]

from cli_fuzz import MODE_ENTRY, RandomPicker, random_bytes_line, walk_line  # noqa: E402
from conftest import Shell  # noqa: E402
from lab_pki import LabCA, install_ca_trustpoint, install_trustpoint  # noqa: E402

from cucme_lab.lab.addresses import AddressPlan  # noqa: E402
from cucme_lab.lab.router_lab import Lab, open_lab  # noqa: E402
from cucme_lab.netio import tls_stream  # noqa: E402
from cucme_lab.phones.capf_client import _context as capf_client_context  # noqa: E402
from cucme_lab.phones.capf_client import run_capf  # noqa: E402
from cucme_lab.router.pki.ca import ca_for_request  # noqa: E402
from cucme_lab.router.router import Router  # noqa: E402
from cucme_lab.services import tftp_client  # noqa: E402
from cucme_lab.services.tftp import tftp_service  # noqa: E402
from cucme_lab.shell.session import Session  # noqa: E402
from cucme_lab.shell.terminal import ScriptTerminal  # noqa: E402
from cucme_lab.wire import capf, sccp, scep, telnet, tftp  # noqa: E402
from cucme_lab.wire.sccp._fields import plan  # noqa: E402

PARSERS = ("tftp", "sccp", "http", "telnet", "capf", "cli")
TP, CA_TP = "CUCME-TP", "CAServer"
CAPF_DEVICES = 20  # ephones 1..20 scheduled for CAPF; the fuzzer names 1..19, the check 20
SCCP_PHONES = 16  # ephones the SCCP fuzzer registers as (one per worker)
CONFIG = f"""\
hostname FUZZLAB
ip domain name lab.local
username admin privilege 15 secret adminpw
interface FastEthernet0/0
 ip address 10.1.1.1 255.255.255.0
 no shutdown
ip http server
line vty 0 15
 no login
 transport input telnet ssh
crypto pki server FUZZCA
 grant auto
crypto pki server FUZZCA
 no shutdown
labpass1
labpass1
telephony-service
 max-ephones 40
 ip source-address 10.1.1.1 port 2000
 create cnf-files
capf-server
 cert-enroll-trustpoint {CA_TP} password 0 lablablab
 trustpoint-label {TP}
 source-addr 10.1.1.1
 auth-mode null-string
 phone-key-size 1024
"""


def ephones_config() -> str:
    lines = ["ephone-dn 1", " number 1001"]
    for i in range(1, CAPF_DEVICES + 1):
        lines += [f"ephone {i}", f" mac-address {mac(i)[:4]}.{mac(i)[4:8]}.{mac(i)[8:]}",
                  " type 7965", " button 1:1", " cert-oper upgrade auth-mode null-string"]
    return "\n".join(lines)


def mac(i: int) -> str:
    return f"00FF00AA{i:04X}"


# --- watching the lab -----------------------------------------------------------------------------

SERVICE_OF_LOGGER = {"cucme_lab.services.tftp": "tftp", "cucme_lab.services.tftp_worker": "tftp",
                     "cucme_lab.services.sccp": "sccp", "cucme_lab.services.http": "http",
                     "cucme_lab.services.telnet": "telnet", "cucme_lab.services.capf": "capf",
                     "cucme_lab.shell": "cli", "cucme_lab.netio": "tls"}


class Watch(logging.Handler):
    """Python log records at ERROR and above (a contained fault logs its traceback there),
    and the router's `%SYS-3-CONN_FAULT` / `%SYS-3-PROC_RESTART` lines, as they happen: the
    router's log buffer keeps only its last 4,096 lines, and TFTP refusals fill it."""

    FAULT = re.compile(r"%SYS-3-(CONN_FAULT: (\S+) connection|PROC_RESTART: Process \"([^\"]+)\")")

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.phase = "setup"
        self.python: Counter[str] = Counter()
        self.router: Counter[str] = Counter()
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.python[self.phase] += 1
        if len(self.samples) < 10:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info))[-1500:]
            self.samples.append(f"[{self.phase}] {record.name}: {text}")

    def router_line(self, line: str) -> None:
        if self.FAULT.search(line):
            self.router[self.phase] += 1
            if len(self.samples) < 10:
                self.samples.append(f"[{self.phase}] {line[:1500]}")


@dataclass
class Tally:
    name: str
    sent: int = 0
    connections: int = 0
    seconds: float = 0.0
    python_errors: int = 0
    sys3_lines: int = 0
    reached: int | None = None
    restarts: int = 0
    answers: str = "-"
    notes: list[str] = field(default_factory=list)


def restarts(lab: Lab, name: str) -> int:
    return sum(r.restarts for b, r in lab.services.running.items() if b.service == name)


class Reached:
    """How many inputs got past the framing to the code behind it, counted by wrapping one
    method per parser: SCCP messages handed to the Station, HTTP requests dispatched, CAPF
    messages handled by a server session, CLI lines that ran a command."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._undo: list[Callable[[], None]] = []

    def count(self, name: str, owner: Any, attribute: str) -> None:
        original = getattr(owner, attribute)
        counts = self.counts

        if inspect.iscoroutinefunction(original):
            async def wrapped(*args: Any, **kwargs: Any) -> Any:
                counts[name] += 1
                return await original(*args, **kwargs)
        else:
            def wrapped(*args: Any, **kwargs: Any) -> Any:
                counts[name] += 1
                return original(*args, **kwargs)

        setattr(owner, attribute, wrapped)
        self._undo.append(lambda: setattr(owner, attribute, original))

    def install(self) -> None:
        from cucme_lab.router.telephony.station import Station
        from cucme_lab.services import http

        self.count("sccp", Station, "receive")
        self.count("http", http, "dispatch")
        self.count("capf", capf.CapfServerSession, "_handle")
        self.count("cli", Session, "run_command")

    def remove(self) -> None:
        for undo in reversed(self._undo):
            undo()


# --- mutation -------------------------------------------------------------------------------------

def mutate(rng: random.Random, data: bytes, edits: int = 6) -> bytes:
    """`data` with a few bytes flipped, set, inserted, deleted, duplicated or cut."""
    out = bytearray(data)
    for _ in range(rng.randint(1, edits)):
        pos = rng.randrange(len(out)) if out else 0
        kind = rng.randrange(6)
        if kind == 0 and out:
            out[pos] ^= 1 << rng.randrange(8)
        elif kind == 1 and out:
            out[pos] = rng.choice((0, 1, 0x7F, 0x80, 0xFF))
        elif kind == 2:
            out[pos:pos] = rng.randbytes(rng.randint(1, 8))
        elif kind == 3 and out:
            del out[pos:pos + rng.randint(1, 8)]
        elif kind == 4:
            del out[pos:]
        elif out:
            out[pos:pos] = out[pos:pos + rng.randint(1, 16)]
    return bytes(out)


class Budget:
    """`count` inputs or `seconds`, whichever comes first."""

    def __init__(self, tally: Tally, count: int, seconds: float) -> None:
        self.tally, self.count = tally, count
        self.deadline = time.monotonic() + seconds
        self.start = time.monotonic()

    @property
    def left(self) -> bool:
        return self.tally.sent < self.count and time.monotonic() < self.deadline

    def done(self) -> None:
        self.tally.seconds = time.monotonic() - self.start


# --- TFTP -----------------------------------------------------------------------------------------

def tftp_inputs(rng: random.Random, names: list[str]) -> Callable[[], bytes]:
    seeds = [tftp.Request(tftp.Opcode.RRQ, n).encode() for n in names[:5]] + [
        tftp.Request(tftp.Opcode.RRQ, "CTLFile.tlv", "octet", {"blksize": "1428",
                                                               "tsize": "0"}).encode(),
        tftp.Request(tftp.Opcode.WRQ, "up.bin").encode(), tftp.Ack(1).encode(),
        tftp.Data(1, b"x" * 10).encode(), tftp.ErrorPacket(0, "e").encode(),
        tftp.OptionAck({"blksize": "512"}).encode()]
    odd_names = names + ["../etc/passwd", "/etc/passwd", "a\\b", "C:x", "a\x01b", "", ".",
                         "x" * 600, "\u00e9", "a/../../b"]
    values = ["0", "1", "7", "8", "512", "1428", "65464", "65465", "-1", "", "x", "9" * 5000]

    def one() -> bytes:
        kind = rng.random()
        if kind < 0.4:
            return mutate(rng, rng.choice(seeds))
        if kind < 0.7:
            options = {rng.choice(["blksize", "tsize", "timeout", "windowsize", "x"]):
                       rng.choice(values) for _ in range(rng.randint(0, 3))}
            op = rng.choice([tftp.Opcode.RRQ, tftp.Opcode.RRQ, tftp.Opcode.WRQ])
            mode = rng.choice(["octet", "netascii", "mail", "OCTET", ""])
            return tftp.Request(op, rng.choice(odd_names), mode, options).encode()
        return rng.randbytes(rng.choice([0, 1, 2, 3, 4, 8, 30, 100, 600]))

    return one


async def fuzz_tftp(lab: Lab, tally: Tally, budget: Budget, rng: random.Random) -> None:
    entry = await lab.service("tftp")
    link = tftp_service(lab).link()
    names = sorted(lab.router.provisioning.table.files)
    one = tftp_inputs(rng, names or ["XMLDefault.cnf.xml"])
    refused_before = link.refusals if link else 0

    async def worker(i: int) -> None:
        sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_DGRAM)
        with sock:
            await sock.bind((f"127.0.3.{i + 1}", 0))
            while budget.left:
                await sock.sendto(one(), (entry.bound_address, entry.bound_port))
                tally.sent += 1
                with trio.move_on_after(0.05):
                    data, peer = await sock.recvfrom(65536)
                    if data[:2] in (b"\x00\x03", b"\x00\x06"):  # a transfer began: end it
                        await sock.sendto(tftp.ErrorPacket(0, "fuzz").encode(), peer)

    async with trio.open_nursery() as nursery:
        for i in range(64):
            nursery.start_soon(worker, i)
    if link is not None:
        tally.notes.append(f"{link.refusals - refused_before} refusals reported by the server")


async def check_tftp(lab: Lab) -> bool:
    entry = await lab.service("tftp")
    name = next(iter(sorted(lab.router.provisioning.table.files)), "XMLDefault.cnf.xml")
    with trio.move_on_after(10):
        data = await tftp_client.download(entry.bound_address, entry.bound_port, name,
                                          bind_host="127.0.3.200")
        return bool(data)
    return False


# --- SCCP -----------------------------------------------------------------------------------------

def register(i: int, version: int = 17) -> sccp.Register:
    return sccp.Register(device_name=f"SEP{mac(i)}", station_ip=IPv4Address("10.1.1.50"),
                         device_type=115, max_streams=5, active_streams=0,
                         protocol_ver=version, unknown=0, phone_features=0x210,
                         max_conferences=0, active_conferences=0,
                         mac_address=bytes.fromhex(mac(i)), ipv4_address_scope=0,
                         max_number_of_lines=1)


def sccp_inputs(rng: random.Random) -> Callable[[int], list[bytes]]:
    """A connection's frames for the protocol version it registered with: well framed ones
    (catalogue messages with random contents, or as encoded), then, two times in three, one
    the framing or the decoder refuses (mutated, random bytes, a bad length, a short payload),
    which ends the connection: anything after it would never be read."""
    versions = (0, 17)
    seeds = {v: [sccp.encode_frame(cls(), v) for cls in sccp.ALL_MESSAGES] for v in versions}
    widths = {(cls, v): sum(size for _, _, size, _, _ in plan(cls, v))
              for cls in sccp.ALL_MESSAGES for v in versions}

    def framed(version: int) -> bytes:
        if rng.random() < 0.2:
            return rng.choice(seeds[version])
        cls = rng.choice(sccp.ALL_MESSAGES)
        size = widths[cls, version] + (4 if rng.random() < 0.1 else 0)  # newer firmware's tail
        payload = rng.randbytes(size)
        return struct.pack("<III", len(payload) + 4, 0, cls.MESSAGE_ID) + payload

    def malformed(version: int) -> bytes:
        kind = rng.random()
        if kind < 0.4:
            return mutate(rng, rng.choice(seeds[version]))
        if kind < 0.6:
            return rng.randbytes(rng.randint(1, 64))
        if kind < 0.8:
            cls = rng.choice(sccp.ALL_MESSAGES)
            payload = rng.randbytes(rng.randrange(max(1, widths[cls, version])))
            return struct.pack("<III", len(payload) + 4, 0, cls.MESSAGE_ID) + payload
        return struct.pack("<III", rng.choice([0, 3, 2001, 0xFFFFFFFF]), rng.randrange(40),
                           rng.randrange(0x200))

    def frames(version: int) -> list[bytes]:
        out = [framed(version) for _ in range(rng.randint(1, 30))]
        if rng.random() < 0.67:
            out.append(malformed(version))
        return out

    return frames


async def drain(stream: trio.abc.ReceiveStream, timeout: float) -> bytes:
    """What the server sends until it closes, or `timeout` passes."""
    got = bytearray()
    with trio.move_on_after(timeout):
        try:
            while data := await stream.receive_some(65536):
                got += data
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
    return bytes(got)


async def connect(host: str, port: int, source: str) -> trio.SocketStream:
    sock = trio.socket.socket(trio.socket.AF_INET, trio.socket.SOCK_STREAM)
    await sock.bind((source, 0))
    try:
        await sock.connect((host, port))
    except BaseException:
        sock.close()
        raise
    return trio.SocketStream(sock)


async def fuzz_sccp(lab: Lab, tally: Tally, budget: Budget, rng: random.Random) -> None:
    entry = await lab.service("sccp")
    connection_frames = sccp_inputs(rng)

    async def worker(i: int) -> None:
        while budget.left:
            try:
                stream = await connect(entry.bound_address, entry.bound_port, f"127.0.4.{i}")
            except OSError:
                await trio.sleep(0.05)
                continue
            tally.connections += 1
            registers = rng.random() < 0.5
            version = rng.choice((0, 17)) if registers else 0
            frames = connection_frames(version)
            data = b"".join(frames)
            if registers:
                data = sccp.encode_frame(register(i, version), 0) + data
            try:
                await stream.send_all(data)
                tally.sent += len(frames)
                await stream.send_eof()
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                tally.sent += len(frames)
            await drain(stream, 2.0)
            await stream.aclose()

    async with trio.open_nursery() as nursery:
        for i in range(1, SCCP_PHONES + 1):
            nursery.start_soon(worker, i)


async def check_sccp(lab: Lab) -> bool:
    entry = await lab.service("sccp")
    stream = await connect(entry.bound_address, entry.bound_port, "127.0.4.200")
    codec = sccp.SccpConnection(sccp.Role.PHONE)
    try:
        await stream.send_all(codec.send(register(SCCP_PHONES + 1)))
        with trio.move_on_after(5):
            while True:
                data = await stream.receive_some(65536)
                codec.feed(data)
                for message in codec.events():
                    if isinstance(message, sccp.RegisterAck):
                        await stream.send_all(codec.send(sccp.Unregister()))
                        return True
                if not data:
                    return False
        return False
    finally:
        await stream.aclose()


# --- HTTP -----------------------------------------------------------------------------------------

def http_inputs(rng: random.Random, pki_messages: list[bytes]) -> Callable[[], tuple[bytes, bool]]:
    """(request bytes, whether it is whole: a partial one is followed by our end of stream)."""
    paths = ["/", "/level/15/exec/-/show/version", "/exec/show", "/configure/x", "*", "//",
             "/cgi-bin/pkiclient.exe", "/cgi-bin/pkiclient.exe/", "/%00", "/cgi-bin/../level",
             "http://x/", "/" + "a" * 3000]
    keys = ["operation", "message", "OPERATION", "", "operation[]"]
    values = ["GetCACaps", "GetCACert", "GetCRL", "PKIOperation", "GetNextCACert", "FUZZCA",
              "%ZZ", "%", "", "a+b", "=", "&", "x" * 500]
    headers = [b"Content-Length: 5", b"Content-Length: -1", b"Transfer-Encoding: chunked",
               b"Content-Length: 99999999999999999999", b"Connection: close",
               b"Expect: 100-continue", b"Authorization: Basic " +
               base64.b64encode(b"admin:adminpw"), b"Authorization: Basic !!!",
               b"Authorization: Basic " + base64.b64encode(b"\xff:\x00"), b"X: " + b"y" * 9000]

    def request() -> tuple[bytes, bool]:
        method = rng.choice([b"GET", b"GET", b"POST", b"HEAD", b"PUT", b"get"])
        target = rng.choice(paths).encode()
        if rng.random() < 0.7:
            pairs = [(rng.choice(keys), rng.choice(values)) for _ in range(rng.randint(0, 9))]
            query = (urllib.parse.urlencode(pairs) if rng.random() < 0.5
                     else "&".join(f"{k}={v}" for k, v in pairs))
            target += b"?" + query.encode()
        head = [b"Host: r"] if rng.random() < 0.95 else []
        head += [rng.choice(headers) for _ in range(rng.randint(0, 2))]
        body = b""
        if method == b"POST":
            body = rng.choice(pki_messages) if rng.random() < 0.3 else rng.randbytes(
                rng.randint(0, 200))
            if rng.random() < 0.5:
                body = mutate(rng, body)
            head.append(b"Content-Length: %d" % len(body))
        version = rng.choice([b"HTTP/1.1"] * 8 + [b"HTTP/1.0", b"HTTP/2", b""])
        whole = not any(h.startswith((b"Content-Length: 5", b"Content-Length: 9",
                                      b"Transfer-Encoding", b"Expect")) for h in head)
        return (method + b" " + target + b" " + version + b"\r\n" + b"".join(
            h + b"\r\n" for h in head) + b"\r\n" + body), whole

    def pki_operation() -> tuple[bytes, bool]:
        message = mutate(rng, rng.choice(pki_messages), 4)
        if rng.random() < 0.5:
            return (b"POST /cgi-bin/pkiclient.exe?operation=PKIOperation HTTP/1.1\r\nHost: r\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(message)) + message, True
        query = urllib.parse.urlencode({"operation": "PKIOperation",
                                        "message": base64.b64encode(message).decode()})
        return (b"GET /cgi-bin/pkiclient.exe?" + query.encode() +
                b" HTTP/1.1\r\nHost: r\r\n\r\n"), True

    def one() -> tuple[bytes, bool]:
        kind = rng.random()
        if kind < 0.55:
            return request()
        if kind < 0.8:
            return pki_operation()
        if kind < 0.9:
            data, _ = request()
            return mutate(rng, data), False
        return rng.randbytes(rng.randint(1, 200)), False

    return one


def pki_messages_for(router: Router) -> list[bytes]:
    """A PKCSReq, a CertPoll, a GetCert and a GetCRL for the lab's CA, signed by a client."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    ca = ca_for_request(router)
    assert ca is not None and ca.ca_certificate() is not None
    ca_cert = ca.ca_certificate()
    key = rsa.generate_private_key(65537, 1024)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fuzz.lab.local")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(77).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key,
                                                                              hashes.SHA256())

    def signed(kind: int, content: bytes, txid: str) -> bytes:
        return scep.sign(scep.Attributes(kind, txid, b"n" * 16),
                         scep.envelope(content, ca_cert), cert, key)

    return [signed(scep.PKCS_REQ, csr.public_bytes(Encoding.DER), "FUZZ-1"),
            signed(scep.CERT_POLL, scep.issuer_and_subject(ca_cert.subject, subject), "FUZZ-1"),
            signed(scep.GET_CERT, scep.issuer_and_serial(ca_cert.subject, 1), "FUZZ-2"),
            signed(scep.GET_CRL, scep.issuer_and_serial(ca_cert.subject, 1), "FUZZ-3")]


class HttpReader:
    """Reads responses off a connection: a head, then Content-Length bytes of body."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream, self.buffer = stream, bytearray()

    async def response(self, timeout: float, head_only: bool = False
                       ) -> tuple[int, bytes] | None:
        """The next response's status and body, or None when the server closed or said
        nothing."""
        with trio.move_on_after(timeout):
            while b"\r\n\r\n" not in self.buffer:
                if not await self._more():
                    return None
            head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
            match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            length = 0 if head_only or not match else int(match.group(1))
            while len(rest) < length:
                if not await self._more():
                    return None
                rest = bytes(self.buffer).partition(b"\r\n\r\n")[2]
            self.buffer = bytearray(rest[length:])
            try:
                return int(head[9:12]), rest[:length]
            except ValueError:
                return -1, rest[:length]
        return None

    async def _more(self) -> bool:
        try:
            data = await self.stream.receive_some(65536)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            return False
        self.buffer += data
        return bool(data)


async def fuzz_http(lab: Lab, tally: Tally, budget: Budget, rng: random.Random) -> None:
    entry = await lab.service("http")
    one = http_inputs(rng, pki_messages_for(lab.router))
    statuses: Counter[int] = Counter()

    async def worker(i: int) -> None:
        while budget.left:
            try:
                stream = await connect(entry.bound_address, entry.bound_port, f"127.0.5.{i}")
            except OSError:
                await trio.sleep(0.05)
                continue
            tally.connections += 1
            reader = HttpReader(stream)
            try:
                while budget.left:
                    data, whole = one()
                    await stream.send_all(data)
                    tally.sent += 1
                    if not whole:
                        await stream.send_eof()
                    answer = await reader.response(2.0 if whole else 5.0,
                                                   head_only=data.startswith(b"HEAD"))
                    if answer is None:
                        break
                    statuses[answer[0]] += 1
                    if not whole:
                        break
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                pass
            finally:
                await stream.aclose()

    async with trio.open_nursery() as nursery:
        for i in range(1, 5):  # IOS serves 5 HTTP connections at once by default
            nursery.start_soon(worker, i)
    # A 500 is the server's catch-all for a request that raised: its log record counts it.
    tally.notes.append("statuses " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))


async def check_http(lab: Lab) -> bool:
    entry = await lab.service("http")
    stream = await connect(entry.bound_address, entry.bound_port, "127.0.5.200")
    try:
        await stream.send_all(b"GET /cgi-bin/pkiclient.exe?operation=GetCACaps HTTP/1.1\r\n"
                              b"Host: r\r\n\r\n")
        answer = await HttpReader(stream).response(5.0)
        return answer is not None and answer[0] == 200 and b"POSTPKIOperation" in answer[1]
    finally:
        await stream.aclose()


# --- telnet ---------------------------------------------------------------------------------------

def telnet_inputs(rng: random.Random) -> Callable[[], bytes]:
    iac, sb, se = telnet.IAC, telnet.SB, telnet.SE
    verbs = [telnet.DO, telnet.DONT, telnet.WILL, telnet.WONT]
    options = [telnet.ECHO, telnet.SGA, telnet.TTYPE, telnet.NAWS, telnet.LINEMODE, 0, 5, 39,
               255]

    def one() -> bytes:
        kind = rng.random()
        if kind < 0.35:
            return bytes(b for _ in range(rng.randint(1, 6))
                         for b in (iac, rng.choice(verbs), rng.choice(options)))
        if kind < 0.5:
            size = [rng.choice([0, 1, 80, 132, 255, 512, 513, 65535]) for _ in range(2)]
            body = bytes([telnet.NAWS]) + struct.pack(">HH", *size)
            body = body.replace(bytes([iac]), bytes([iac, iac]))
            return bytes([iac, sb]) + body + bytes([iac, se])
        if kind < 0.6:
            return bytes([iac, sb, telnet.TTYPE, 0]) + rng.randbytes(rng.randint(0, 300)) + \
                bytes([iac, se])
        if kind < 0.7:  # a sequence cut short, or a command byte alone
            return bytes([iac]) + rng.randbytes(rng.randint(0, 2))
        if kind < 0.8:
            return bytes([iac, iac]) + rng.randbytes(rng.randint(0, 20))
        if kind < 0.9:
            return rng.randbytes(rng.randint(1, 40))
        return rng.randbytes(rng.randint(0, 30)).replace(b"\xff", b"") + b"\r\n"

    return one


async def fuzz_telnet(lab: Lab, tally: Tally, budget: Budget, rng: random.Random) -> None:
    entry = await lab.service("telnet")
    one = telnet_inputs(rng)

    async def worker(i: int) -> None:
        while budget.left:
            try:
                stream = await connect(entry.bound_address, entry.bound_port, f"127.0.6.{i}")
            except OSError:
                await trio.sleep(0.05)
                continue
            tally.connections += 1
            closed = trio.Event()

            async def reader(stream: trio.SocketStream, closed: trio.Event) -> None:
                await drain(stream, math.inf)
                closed.set()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(reader, stream, closed)
                try:
                    for _ in range(rng.randint(20, 400)):
                        if not budget.left or closed.is_set():
                            break
                        await stream.send_all(one())
                        tally.sent += 1
                        await trio.sleep(0)
                    await stream.send_eof()
                except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                    pass
                with trio.move_on_after(2):
                    await closed.wait()
                nursery.cancel_scope.cancel()
            await stream.aclose()

    async with trio.open_nursery() as nursery:
        for i in range(1, 9):
            nursery.start_soon(worker, i)


async def check_telnet(lab: Lab) -> bool:
    entry = await lab.service("telnet")
    stream = await connect(entry.bound_address, entry.bound_port, "127.0.6.200")
    seen = b""
    try:
        with trio.move_on_after(5):
            while b"FUZZLAB>" not in seen:
                seen += await stream.receive_some(4096)
            await stream.send_all(b"show version\r\n")
            while b"Cisco IOS Software" not in seen:
                seen += await stream.receive_some(4096)
            return True
        return False
    finally:
        await stream.aclose()


# --- CAPF -----------------------------------------------------------------------------------------

def capf_inputs(rng: random.Random) -> Callable[[int, int], list[bytes]]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from cucme_lab.wire.capf._crypto import public_key_der

    key_der = public_key_der(rsa.generate_private_key(65537, 1024))
    tags = list(capf.Tag)

    def element(tag: int) -> capf.ElementValue:
        kind = rng.random()
        if tag in (capf.Tag.DEVICE_NAME, capf.Tag.PASSWORD):
            return rng.choice([f"SEP{mac(rng.randint(1, CAPF_DEVICES - 1))}", "", "1234",
                               "x" * 300, "SEP001122334455"])
        if tag == capf.Tag.CERTIFICATE:
            return capf.NestedCertificate(rng.randbytes(rng.randint(0, 80)), rng.randrange(256))
        if tag == capf.Tag.SHA2_SIGNED_DATA:
            return capf.HashedSignature(rng.randrange(256), rng.randbytes(rng.randint(0, 200)))
        if tag == capf.Tag.SUDI_DATA:
            return capf.SudiData(*(rng.randbytes(rng.randint(0, 50)) for _ in range(3)))
        if tag in (capf.Tag.KEY_SIZE,):
            return rng.choice([0, 512, 1024, 2048, 65535])
        if tag in (capf.Tag.REASON, capf.Tag.CERTIFICATE_TYPE, capf.Tag.VERSION,
                   capf.Tag.AUTH_TYPE, capf.Tag.KEY_TYPE, capf.Tag.CURVE):
            return rng.choice([0, 1, 2, 3, 4, 7, 9, 255])
        if tag == capf.Tag.PUBLIC_KEY and kind < 0.5:
            return mutate(rng, key_der, 3)
        return rng.randbytes(rng.randint(0, 60))

    def messages(session_id: int, device: int) -> list[bytes]:
        out = []
        if rng.random() < 0.5:
            out.append(capf.encode(capf.Message.build(
                capf.Command.AUTH_RESPONSE, session_id, reason=1, version=3,
                device_name=f"SEP{mac(device)}", password="")))
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            if kind < 0.5:
                chosen = rng.sample(tags, rng.randint(0, 5))
                sid = session_id if rng.random() < 0.9 else rng.randrange(1 << 32)
                command = rng.choice(list(capf.Command))
                try:
                    out.append(capf.encode(capf.Message(command, sid, tuple(
                        (t, element(t)) for t in chosen))))
                except capf.CapfProtocolError:
                    out.append(capf.encode(capf.Message(command, sid)))
            elif kind < 0.7:
                out.append(capf.encode(capf.Message.build(
                    capf.Command.KEY_GENERATE_RESPONSE, session_id,
                    public_key=mutate(rng, key_der, 2))))
            elif kind < 0.9:
                seed = capf.encode(capf.Message.build(
                    capf.Command.AUTH_RESPONSE, session_id, reason=1, version=3,
                    device_name=f"SEP{mac(device)}", password=""))
                out.append(mutate(rng, seed))
            else:
                out.append(rng.randbytes(rng.randint(1, 60)))
        return out

    return messages


async def fuzz_capf(lab: Lab, tally: Tally, budget: Budget, rng: random.Random) -> None:
    entry = await lab.service("capf")
    messages = capf_inputs(rng)
    context = capf_client_context()

    async def worker(i: int) -> None:
        while budget.left:
            try:
                sock = await tls_stream.connect(entry.bound_address, entry.bound_port,
                                                f"127.0.7.{i}")
            except OSError:
                await trio.sleep(0.05)
                continue
            tally.connections += 1
            stream = tls_stream.TlsStream(sock, context, server_side=False)
            try:
                with trio.fail_after(10):
                    await stream.do_handshake()
                    head = b""
                    while len(head) < capf.HEADER_SIZE:
                        data = await stream.receive_some(4096)
                        if not data:
                            break
                        head += data
                session_id = struct.unpack(">I", head[2:6])[0] if len(head) >= 6 else 0
                batch = messages(session_id, rng.randint(1, CAPF_DEVICES - 1))
                await stream.send_all(b"".join(batch))
                tally.sent += len(batch)
                await drain(stream, 1.0)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError,
                    trio.TooSlowError):
                pass
            finally:
                with trio.move_on_after(1):
                    await stream.aclose()

    async with trio.open_nursery() as nursery:
        for i in range(1, 5):
            nursery.start_soon(worker, i)


async def check_capf(lab: Lab, tp_cert: Any) -> bool:
    entry = await lab.service("capf")
    result = await run_capf(entry.bound_address, entry.bound_port,
                            device_name=f"SEP{mac(CAPF_DEVICES)}", capf_certificate=tp_cert,
                            local_address="127.0.7.200", timeout=30)
    return result.ok and result.lsc is not None


# --- the command line -----------------------------------------------------------------------------

class CliLines:
    """An endless mix of random-byte lines and grammar walks for one mode; `kind` says which
    the last one was. A dialogue's answers are drawn from it too, as in a paste."""

    def __init__(self, rng: random.Random, commands: Any, mode: str) -> None:
        self.rng, self.commands, self.mode = rng, commands, mode
        self.picker = RandomPicker(rng)
        self.kind = ""

    def __iter__(self) -> CliLines:
        return self

    def __next__(self) -> str:
        if self.rng.random() < 0.5:
            self.kind = "random"
            return random_bytes_line(self.rng)
        self.kind = "grammar"
        return walk_line(self.commands, self.mode, self.picker)


async def fuzz_cli(tally: Tally, lines_per_mode: int, rng: random.Random, seconds: float,
                   watch: Watch) -> None:
    """Random-byte lines and grammar walks in every mode, on a router of their own."""
    from cucme_lab.shell.commands import command_set

    commands = command_set()
    start = time.monotonic()
    per_mode_seconds = seconds / len(MODE_ENTRY)
    with tempfile.TemporaryDirectory() as tmp:
        router = Router.open(Path(tmp) / "lab", addresses=AddressPlan())
        await Shell(router).paste_config(CONFIG.split("crypto pki server")[0])
        for mode in MODE_ENTRY:
            typed = await type_in_mode(router, commands, mode, CliLines(rng, commands, mode),
                                       lines_per_mode, tally, watch,
                                       time.monotonic() + per_mode_seconds)
            tally.notes.append(f"{mode} {typed['random']}/{typed['grammar']}")
        session = Session(router, ScriptTerminal(["show version"]), commands, priv=15)
        await session.run()
        tally.answers = "yes" if "Cisco IOS Software" in session.terminal.output() else "NO"
    tally.seconds = time.monotonic() - start


async def type_in_mode(router: Router, commands: Any, mode: str, feed: CliLines, count: int,
                       tally: Tally, watch: Watch, deadline: float) -> Counter[str]:
    """Lines typed at `mode`'s prompt (re-entered when a line left it) until `count` of each
    kind were, or the deadline; returns how many of each kind."""
    typed: Counter[str] = Counter()

    def session() -> Session:
        terminal = ScriptTerminal(feed)
        terminal.sink = lambda text: None
        return Session(router, terminal, commands, priv=15)

    current = session()
    while time.monotonic() < deadline and min(typed["random"], typed["grammar"]) < count:
        if current.closed or current.mode != mode:
            current.close()
            current = session()
            for line in MODE_ENTRY[mode]:
                await current.handle(line)
        line = next(feed)
        if typed[feed.kind] >= count:
            continue  # that kind is done: draw again
        typed[feed.kind] += 1
        tally.sent += 1
        try:
            with trio.fail_after(10):
                await current.handle(line)
        except Exception as exc:  # what a vty would lose its session to
            watch.python["cli"] += 1
            tally.python_errors += 1
            if len(watch.samples) < 10:
                watch.samples.append(f"[cli] {mode}: {line!r}: {type(exc).__name__}: {exc}\n"
                                     + traceback.format_exc()[-1500:])
            current.close()
            current = session()
    current.close()
    return typed


# --- the campaign ---------------------------------------------------------------------------------

async def campaign(args: argparse.Namespace) -> tuple[list[Tally], Watch]:
    rng = random.Random(args.seed)
    reached = Reached()
    reached.install()
    watch = Watch()
    logging.getLogger().addHandler(watch)
    tallies: list[Tally] = []
    only = set(args.only.split(",")) if args.only else set(PARSERS)
    with tempfile.TemporaryDirectory() as tmp:
        async with open_lab(Path(tmp) / "lab") as lab:
            lab.router.log.subscribe(watch.router_line)
            ca = LabCA("FUZZCAPF")
            install_ca_trustpoint(lab.router, CA_TP, ca)
            cert, key = ca.issue("cme.lab.local")
            install_trustpoint(lab.router, TP, ca, cert, key)
            out = await Shell(lab.router).paste_config(CONFIG + ephones_config())
            assert not any(e in out for e in ("% Invalid", "% Incomplete", "% Ambiguous")), out
            for name in ("tftp", "sccp", "http", "telnet", "capf"):
                await lab.service(name)
            phases: dict[str, tuple[Callable, Callable]] = {
                "tftp": (fuzz_tftp, check_tftp), "sccp": (fuzz_sccp, check_sccp),
                "http": (fuzz_http, check_http), "telnet": (fuzz_telnet, check_telnet),
                "capf": (fuzz_capf, lambda lab: check_capf(lab, cert))}
            for name, (fuzz, check) in phases.items():
                if name not in only:
                    continue
                tally = Tally(name)
                tallies.append(tally)
                watch.phase = name
                count = args.capf_count if name == "capf" else args.count
                budget = Budget(tally, count, args.seconds)
                print(f"{name}: fuzzing ...", flush=True)
                await fuzz(lab, tally, budget, rng)
                budget.done()
                await trio.sleep(1)  # let the last connections end and their faults be logged
                watch.phase = f"{name}-check"
                tally.answers = "yes" if await check(lab) else "NO"
            watch.phase = "end"
            for tally in tallies:
                tally.restarts = restarts(lab, tally.name)
                tally.python_errors += watch.python[tally.name] + watch.python[
                    f"{tally.name}-check"]
                tally.sys3_lines = watch.router[tally.name] + watch.router[f"{tally.name}-check"]
            lab.router.log.unsubscribe(watch.router_line)
    if "cli" in only:
        tally = Tally("cli")
        tallies.append(tally)
        watch.phase = "cli"
        print("cli: fuzzing ...", flush=True)
        await fuzz_cli(tally, args.cli_lines, rng, args.seconds * 2, watch)
    logging.getLogger().removeHandler(watch)
    reached.remove()
    for tally in tallies:
        if tally.name in reached.counts or tally.name in ("sccp", "http", "capf", "cli"):
            tally.reached = reached.counts[tally.name]
    return tallies, watch


def report(tallies: list[Tally], watch: Watch, args: argparse.Namespace) -> None:
    print()
    print(f"Fuzzing campaign: seed {args.seed}, --count {args.count} (capf {args.capf_count}), "
          f"--seconds {args.seconds:g} per parser, --cli-lines {args.cli_lines} per mode and "
          "kind")
    print("| parser | inputs sent | reached the parser's handler | connections | seconds | "
          "inputs/s | exceptions escaping (Python log / %SYS-3 lines) | service restarts | "
          "answers a good request after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for t in tallies:
        rate = t.sent / t.seconds if t.seconds else 0.0
        conns = f"{t.connections:,}" if t.name not in ("tftp", "cli") else "-"
        reached = f"{t.reached:,}" if t.reached is not None else "-"
        print(f"| {t.name} | {t.sent:,} | {reached} | {conns} | {t.seconds:.1f} | {rate:,.0f} | "
              f"{t.python_errors} / {t.sys3_lines} | {t.restarts if t.name != 'cli' else '-'} | "
              f"{t.answers} |")
    for t in tallies:
        for note in t.notes:
            if t.name != "cli":
                print(f"  {t.name}: {note}")
    cli = next((t for t in tallies if t.name == "cli"), None)
    if cli is not None:
        print("  cli lines typed per mode (random bytes/grammar walks): " + ", ".join(cli.notes))
    if watch.samples:
        print("\nFirst faults:")
        for sample in watch.samples:
            print(sample)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="inputs per network parser")
    parser.add_argument("--capf-count", type=int, default=5_000,
                        help="CAPF messages (each connection is a TLS handshake)")
    parser.add_argument("--seconds", type=float, default=150.0,
                        help="time budget per parser (the CLI gets twice this)")
    parser.add_argument("--cli-lines", type=int, default=5_000,
                        help="lines of random bytes per mode, and as many grammar walks")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {PARSERS}")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.ERROR)  # the Watch counts them; nothing on stderr
    warnings.simplefilter("ignore")  # cryptography's deprecations of what the fuzzer mangles
    tallies, watch = trio.run(campaign, args)
    report(tallies, watch, args)


if __name__ == "__main__":
    main()
