"""Helpers for the SCCP tests: a configured lab, phones with LSCs and a CTL, service lookup."""

from __future__ import annotations

import datetime
import socket
import struct

import trio
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lab_pki import LabCA, install_trustpoint

from cucme_lab.netio import tls_stream
from cucme_lab.phones.sccp_client import SccpPhone
from cucme_lab.wire import sccp
from cucme_lab.wire.ctl import CtlRecord, Role, build_ctl

TP = "CUCME-TP"
SOURCE = "10.1.1.1"
TIME_SCALE = 0.02  # 1 configured keepalive second = 20 ms in tests
MAC1, MAC2, MAC3 = "001122334455", "0011223344AA", "00AABBCCDDEE"

BASE = f"""\
interface FastEthernet0/0
 ip address {SOURCE} 255.255.255.0
 no shutdown
telephony-service
 ip source-address {SOURCE} port 2000
 secure-signaling trustpoint {TP}
 max-ephones 10
 keepalive 10
ephone-dn 1
 number 1001
 name Alice
ephone-dn 2 dual-line
 number 1002
ephone-dn 3
 number 1003
ephone 1
 mac-address 0011.2233.4455
 type 7965
 button 1:1
ephone 2
 mac-address 0011.2233.44AA
 button 1:2
"""


class Pki:
    """The test CA, the router's identity and the phones' CTL."""

    def __init__(self) -> None:
        self.ca = LabCA("SCCPCA")
        self.router_cert, self.router_key = self.ca.issue("cme.lab")
        self.sast_cert, self.sast_key = self.ca.issue("SAST1")
        self.ctl = build_ctl(
            [CtlRecord.from_certificate(self.sast_cert, Role.SAST),
             CtlRecord.from_certificate(self.router_cert, Role.CCM_TFTP, ip_address=SOURCE)],
            self.sast_cert, self.sast_key, filename=f"CTLSEP{MAC1}.tlv")
        self.lsc: dict[str, tuple[x509.Certificate, rsa.RSAPrivateKey]] = {}

    def phone_lsc(self, mac: str, *, days: int = 365,
                  not_before: datetime.datetime | None = None,
                  cn: str | None = None) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        return self.ca.issue(cn or f"SEP{mac}", days=days, not_before=not_before)


async def wait_entry(lab, name: str, timeout: float = 5.0):
    """The manifest entry of service `name` once it listens."""
    with trio.fail_after(timeout):
        while True:
            found = [e for e in lab.services.entries() if e.name == name]
            if found:
                return found[0]
            await trio.sleep(0.01)


async def configure(lab, shell, pki: Pki, extra: str = "") -> tuple:
    """Install the trustpoint and the base configuration; returns (plain, tls) entries."""
    shell.router = lab.router
    install_trustpoint(lab.router, TP, pki.ca, pki.router_cert, pki.router_key)
    out = await shell.paste_config(BASE + extra)
    assert "% " not in out, out
    lab.router.phones.time_scale = TIME_SCALE
    lab.router.phones.handshake_timeout = 0.5
    return await wait_entry(lab, "sccp"), await wait_entry(lab, "sccp-tls")


def phone(lab, pki: Pki, mac: str, ip: str = "10.1.1.21", mode: str = "none", *,
          lsc=None, **kw) -> SccpPhone:
    cert = key = None
    if mode != "none":
        cert, key = lsc or pki.phone_lsc(mac)
    return SccpPhone(mac, station_ip=ip, local_address=lab.addresses.to_loopback(ip),
                     security_mode=mode, certificate=cert, key=key,
                     ctl=pki.ctl if mode != "none" else None, time_scale=TIME_SCALE, **kw)


async def start_phone(nursery: trio.Nursery, ph: SccpPhone, entry) -> bool:
    """Run the phone in `nursery`; True once registered, False if refused."""
    with trio.fail_after(10):
        return await nursery.start(ph.run, entry.bound_address, entry.bound_port)


async def wait_log(router, fragment: str, timeout: float = 5.0) -> str:
    with trio.fail_after(timeout):
        while True:
            for line in router.log.lines:
                if fragment in line:
                    return line
            await trio.sleep(0.01)


async def register_raw(entry, ph: SccpPhone, tls: bool = False) -> socket.socket:
    """`ph`'s Register sent over a bare socket (TLS with its LSC when `tls`), and the router's
    first answer read: a registered connection the test holds at the socket level."""
    sock = await tls_stream.connect(entry.bound_address, entry.bound_port)
    frame = sccp.encode_frame(ph._register_message(), 0)
    with trio.fail_after(5):
        if tls:
            stream = tls_stream.TlsStream(sock, ph.make_context(), server_side=False)
            await stream.do_handshake()
            await stream.send_all(frame)
            assert await stream.receive_some()  # RegisterAck and CapabilitiesReq
        else:
            await trio.lowlevel.wait_writable(sock)
            sock.send(frame)
            await trio.lowlevel.wait_readable(sock)
            assert sock.recv(4096)  # RegisterAck and CapabilitiesReq
    return sock


def reset_connection(sock: socket.socket) -> None:
    """Close with a TCP reset (RST), not a FIN: a phone pulled off the network mid-session."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    trio.lowlevel.notify_closing(sock)
    sock.close()
