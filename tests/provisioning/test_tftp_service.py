"""The TFTP service on real loopback sockets: what it serves, what it refuses, and that it keeps
working when the router process holds more than 1024 descriptors."""

from __future__ import annotations

import json
import resource
import select
import shutil
import socket
import subprocess

import pytest
import trio

from cucme_lab.lab.router_lab import open_lab
from cucme_lab.router.provisioning.tftp_table import published
from cucme_lab.services import tftp_client
from cucme_lab.services.tftp import TftpService, tftp_service
from cucme_lab.wire.ctl import Role, parse_ctl, verify_ctl
from cucme_lab.wire.sgn import parse_sgn, verify_sgn_with_ctl
from cucme_lab.wire.tftp import ErrorCode, ErrorPacket, decode

from .nsa import rejected, type_nsa

SEP1 = "SEPCAFECAFE1234.cnf.xml"


@pytest.fixture
async def tftp_lab(tmp_path, shell):
    async with open_lab(tmp_path / "lab", services=[TftpService()]) as lab:
        shell.router = lab.router
        yield lab


def endpoint(lab) -> tuple[str, int]:
    [entry] = [e for e in lab.services.entries() if e.name == "tftp"]
    return entry.bound_address, entry.bound_port


async def ready(lab) -> tuple[str, int]:
    await trio.sleep(0)
    with trio.fail_after(10):
        while not [e for e in lab.services.entries() if e.name == "tftp"]:
            await trio.sleep(0.02)
    await tftp_service(lab).synced(lab)
    return endpoint(lab)


async def test_nsa_lab_serves_verifiable_ctl_and_signed_configs(tftp_lab, shell, tmp_path):
    out = await type_nsa(shell)
    assert rejected(out) == []
    host, port = await ready(tftp_lab)
    manifest = json.loads((tmp_path / "lab" / "lab.json").read_text())
    [entry] = manifest["services"]
    assert (entry["name"], entry["configured_address"], entry["configured_port"],
            entry["transport"]) == ("tftp", "1.2.3.4", 69, "udp")
    assert entry["bound_port"] in (69, 20069) and entry["bound_address"].startswith("127.")

    ctl = parse_ctl(await tftp_client.download(host, port, "CTLFile.tlv"))
    assert verify_ctl(ctl).role == Role.SAST
    assert [r.role for r in ctl.records] == [Role.SAST, Role.SAST, Role.CCM_TFTP, Role.CAPF]
    for blksize in (512, 1468):
        sgn = parse_sgn(await tftp_client.download(host, port, SEP1 + ".sgn", blksize=blksize))
        assert verify_sgn_with_ctl(sgn, ctl).role == Role.CCM_TFTP
    assert await tftp_client.download(host, port, SEP1) == sgn.content

    # a changed snapshot reaches the server process
    await shell.paste_config("ephone 2\n device-security-mode none\ntelephony-service\n"
                             " create cnf-files\n")
    await tftp_service(tftp_lab).synced(tftp_lab)
    data = await tftp_client.download(host, port, "SEPCAFECAFE1235.cnf.xml")
    assert b"<deviceSecurityMode>1</deviceSecurityMode>" in data

    # `copy tftp://` from the router's own server, into flash
    out = await shell.type("copy tftp://1.2.3.4/CTLFile.tlv flash:fetched.tlv", "")
    assert "Accessing tftp://1.2.3.4/CTLFile.tlv..." in out and "[OK - " in out
    assert tftp_lab.router.storage.read_flash("fetched.tlv") == ctl.raw
    out = await shell.type("copy tftp://1.2.3.4/nothing.here flash:", "")
    assert "%Error opening tftp://1.2.3.4/nothing.here (No such file or directory)" in out
    out = await shell.type("copy flash:fetched.tlv tftp://1.2.3.4/x.tlv", "", "")
    assert "%Error opening tftp://1.2.3.4/x.tlv (Permission denied)" in out


async def test_standard_tftp_client_downloads_the_ctl(tftp_lab, shell, tmp_path):
    client = shutil.which("tftp")
    if client is None:
        pytest.skip("tftp-hpa is not installed (.ci/run installs it)")
    await type_nsa(shell, sections="3")
    await shell.paste_config("telephony-service\n ip source-address 1.2.3.4 port 2000\n")
    host, port = await ready(tftp_lab)
    target = tmp_path / "CTLFile.tlv"
    result = await trio.run_process(
        [client, "-m", "binary", host, str(port), "-c", "get", "CTLFile.tlv", str(target)],
        capture_stdout=True, capture_stderr=True, check=False)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == published(tftp_lab.router).get("CTLFile.tlv")
    verify_ctl(parse_ctl(target.read_bytes()))


async def raw_request(host: str, port: int, packet: bytes):
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        await sock.bind(("127.0.0.1", 0))
        await sock.sendto(packet, (host, port))
        with trio.fail_after(5):
            data, _ = await sock.recvfrom(2048)
    return decode(data)


async def test_traversal_writes_and_unknown_names_are_refused(tftp_lab, shell):
    await shell.paste_config("telephony-service\n ip source-address 1.2.3.4 port 2000\n"
                             "ephone 1\n mac-address 0011.2233.4455\n"
                             "telephony-service\n create cnf-files\n")
    host, port = await ready(tftp_lab)
    cases = {
        "../etc/passwd": ErrorCode.ACCESS_VIOLATION,
        "a/../../x": ErrorCode.ACCESS_VIOLATION,
        "/etc/passwd": ErrorCode.ACCESS_VIOLATION,
        "C:\\boot.ini": ErrorCode.ACCESS_VIOLATION,
        "NoSuchFile.xml": ErrorCode.FILE_NOT_FOUND,
        "CTLSEP001122334455.tlv": ErrorCode.FILE_NOT_FOUND,
    }
    for name, code in cases.items():
        with pytest.raises(tftp_client.TftpError) as info:
            await tftp_client.download(host, port, name, retries=2)
        assert info.value.code == code, name
    with pytest.raises(tftp_client.TftpError) as info:
        await tftp_client.upload(host, port, "SEP001122334455.cnf.xml", b"<evil/>", retries=2)
    assert info.value.code == ErrorCode.ACCESS_VIOLATION
    # garbage does not stop the server
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        await sock.bind(("127.0.0.1", 0))
        await sock.sendto(b"\x00", (host, port))
        await sock.sendto(b"\x00\x09junk", (host, port))
        await sock.sendto(b"\x00\x04\x00\x01", (host, port))  # an ACK: TFTP, not a request
        with trio.fail_after(5):
            reply = decode((await sock.recvfrom(600))[0])  # the only answer: bytes that are
        assert isinstance(reply, ErrorPacket) and reply.code == ErrorCode.ILLEGAL_OPERATION
        with trio.move_on_after(0.3):  # not TFTP get none (no reflection)
            assert not await sock.recvfrom(600)
    reply = await raw_request(host, port, b"\x00\x01SEP001122334455.cnf.xml\x00octet\x00")
    assert reply.block == 1 and b"<device>" in reply.payload
    with trio.fail_after(5):
        while sum("%TFTP-4-ACCESS" in line for line in tftp_lab.router.log.lines) < 5:
            await trio.sleep(0.02)
    logged = "\n".join(tftp_lab.router.log.lines)
    assert "%TFTP-4-ACCESS: read of '../etc/passwd' refused: path outside the published " \
        "table (from 127.0.0.1)" in logged
    assert "write of 'SEP001122334455.cnf.xml' refused: write request" in logged
    # the table itself is untouched
    assert b"<evil/>" not in await tftp_client.download(host, port, "SEP001122334455.cnf.xml")


async def test_server_survives_a_router_holding_1200_connections(tftp_lab, shell):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 3000:
        pytest.skip("cannot open 2,400 descriptors here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 3000), hard))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    held: list[socket.socket] = []
    try:
        for _ in range(1200):
            client = socket.create_connection(listener.getsockname())
            server, _ = listener.accept()
            held += [client, server]
        assert max(s.fileno() for s in held) > 2400
        # what select() would hit in this process: it refuses descriptors above 1024
        with pytest.raises(ValueError):
            select.select([held[-1]], [], [], 0)
        # the service starts now, in a router process holding 2,400 descriptors
        await shell.paste_config("telephony-service\n ip source-address 1.2.3.4 port 2000\n"
                                 "ephone 1\n mac-address 0011.2233.4455\n"
                                 "telephony-service\n create cnf-files\n")
        host, port = await ready(tftp_lab)
        results = []

        async def fetch() -> None:
            results.append(await tftp_client.download(host, port, "SEP001122334455.cnf.xml"))

        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(fetch)
        assert len(results) == 20 and all(b"<device>" in r for r in results)
    finally:
        for s in held:
            s.close()
        listener.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_service_follows_source_address_and_stops_its_process(tftp_lab, shell):
    await shell.paste_config("telephony-service\n ip source-address 1.2.3.4 port 2000\n")
    await ready(tftp_lab)
    link = tftp_service(tftp_lab).link()
    pid = link.pid
    await shell.paste_config("telephony-service\n no ip source-address\n")
    with trio.fail_after(5):
        while tftp_service(tftp_lab).link() is not None:
            await trio.sleep(0.02)
    with trio.fail_after(5):
        while subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode == 0:
            await trio.sleep(0.05)
    assert tftp_lab.services.entries() == []


async def test_reload_serves_the_ctl_from_flash_and_rebuilds_cnf_files(tftp_lab, shell):
    out = await type_nsa(shell)
    assert rejected(out) == []
    ctl = published(tftp_lab.router).get("CTLFile.tlv")
    await shell.type("write memory")
    from cucme_lab.shell.boot import reload_router

    await reload_router(tftp_lab.router, tftp_lab.commands)
    host, port = await ready(tftp_lab)
    assert await tftp_client.download(host, port, "CTLFile.tlv") == ctl
    sgn = parse_sgn(await tftp_client.download(host, port, SEP1 + ".sgn"))
    verify_sgn_with_ctl(sgn, parse_ctl(ctl))


async def test_a_dead_server_process_is_logged_and_replaced(tftp_lab, shell):
    import os
    import signal

    await shell.paste_config("telephony-service\n ip source-address 1.2.3.4 port 2000\n")
    await ready(tftp_lab)
    os.kill(tftp_service(tftp_lab).link().pid, signal.SIGKILL)
    with trio.fail_after(5):
        while not tftp_lab.router.log.contains("TFTP server process ended"):
            await trio.sleep(0.02)
    # the manager has started a new one (test_tftp_limits); a change reaches it
    await shell.paste_config("ephone 1\n mac-address 0011.2233.4455\n"
                             "telephony-service\n create cnf-files\n")
    host, port = await ready(tftp_lab)
    assert b"<device>" in await tftp_client.download(host, port, "SEP001122334455.cnf.xml")
