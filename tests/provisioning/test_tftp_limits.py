"""The TFTP service's bounds: what it remembers of refusals, how long a transfer may take, how
many run at once, and a server process that dies coming back by itself."""

from __future__ import annotations

import os
import signal
import socket

import pytest
import trio

from cucme_lab.lab.router_lab import open_lab
from cucme_lab.services import tftp as tftp_module
from cucme_lab.services import tftp_client
from cucme_lab.services.tftp import REFUSALS_KEPT, TftpService, tftp_service
from cucme_lab.wire.tftp import Ack, Data, ErrorPacket, decode

SOURCE = "telephony-service\n ip source-address 1.2.3.4 port 2000\n"


@pytest.fixture
async def tftp_lab(tmp_path, shell):
    async with open_lab(tmp_path / "lab", services=[TftpService()]) as lab:
        shell.router = lab.router
        yield lab


async def ready(lab) -> tuple[str, int]:
    with trio.fail_after(10):
        while not [e for e in lab.services.entries() if e.name == "tftp"]:
            await trio.sleep(0.02)
    await tftp_service(lab).synced(lab)
    [entry] = [e for e in lab.services.entries() if e.name == "tftp"]
    return entry.bound_address, entry.bound_port


def _udp() -> trio.socket.SocketType:
    sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return sock


async def test_a_flood_of_bad_requests_is_counted_but_not_kept(tftp_lab, shell):
    """Before, every refusal report was appended to a list that was never trimmed."""
    await shell.paste_config(SOURCE)
    host, port = await ready(tftp_lab)
    link = tftp_service(tftp_lab).link()
    count = 5000
    with trio.fail_after(120), _udp() as sock:
        await sock.bind(("127.0.0.1", 0))
        for i in range(count):  # one at a time: no datagram is lost to a full buffer
            await sock.sendto(f"\x00\x01../secret{i}\x00octet\x00".encode(), (host, port))
            reply = decode((await sock.recvfrom(600))[0])
            assert isinstance(reply, ErrorPacket)
        while link.refusals < count:  # the router reads the reports as they come
            await trio.sleep(0.05)
    assert link.refusals == count
    assert len(link.refused) == REFUSALS_KEPT
    assert link.refused[-1]["file"] == f"../secret{count - 1}"
    assert len(tftp_lab.router.log.lines) <= tftp_lab.router.log.capacity


async def test_a_transfer_past_its_deadline_is_stopped(tftp_lab, shell, monkeypatch):
    """A client acknowledging slowly (within the server's per-packet timeout each time) held
    its transfer as long as it liked."""
    monkeypatch.setattr(tftp_module, "TRANSFER_DEADLINE", 1.0)
    tftp_lab.router.storage.write_flash("big.bin", os.urandom(512 * 400))
    await shell.paste_config(SOURCE + "tftp-server flash:big.bin\n")
    host, port = await ready(tftp_lab)
    blocks = 0
    with trio.fail_after(10), _udp() as sock:
        await sock.bind(("127.0.0.1", 0))
        await sock.sendto(b"\x00\x01big.bin\x00octet\x00", (host, port))
        while True:
            data, peer = await sock.recvfrom(600)
            packet = decode(data)
            if isinstance(packet, ErrorPacket):
                break
            assert isinstance(packet, Data)
            blocks += 1
            await trio.sleep(0.2)  # slow, but well within the 0.5 s per packet
            await sock.sendto(Ack(packet.block).encode(), peer)
    assert 3 <= blocks < 12  # stopped near the deadline, far from the 400 blocks
    assert tftp_lab.router.log.contains("refused: transfer not finished within 1 seconds")
    assert tftp_service(tftp_lab).link().refusals == 1
    # the server goes on serving
    assert len(await tftp_client.download(host, port, "big.bin")) == 512 * 400


async def test_transfers_at_once_from_one_client_are_capped(tftp_lab, shell, monkeypatch):
    monkeypatch.setattr(tftp_module, "MAX_TRANSFERS_PER_PEER", 2)
    tftp_lab.router.storage.write_flash("big.bin", os.urandom(512 * 10))
    await shell.paste_config(SOURCE + "tftp-server flash:big.bin\n")
    host, port = await ready(tftp_lab)
    socks = [_udp() for _ in range(3)]
    try:
        with trio.fail_after(5):
            for sock in socks:
                await sock.bind(("127.0.0.1", 0))
            for sock in socks[:2]:  # two transfers under way, never acknowledged
                await sock.sendto(b"\x00\x01big.bin\x00octet\x00", (host, port))
                assert isinstance(decode((await sock.recvfrom(600))[0]), Data)
            await socks[2].sendto(b"\x00\x01big.bin\x00octet\x00", (host, port))
            refused = decode((await socks[2].recvfrom(600))[0])
        assert isinstance(refused, ErrorPacket) and refused.code == 0
        with trio.fail_after(5):
            while not tftp_lab.router.log.contains("server busy: 2 transfers for this client"):
                await trio.sleep(0.02)
    finally:
        for sock in socks:
            sock.close()
    # once the two have timed out (a packet sent 3 times, 0.5 s apart, unanswered), a place
    # is free again
    with trio.fail_after(10):
        while True:
            try:
                assert len(await tftp_client.download(host, port, "big.bin")) == 512 * 10
                break
            except tftp_client.TftpError as exc:
                assert "server busy" in exc.message
                await trio.sleep(0.2)


async def test_a_killed_server_process_is_restarted_by_the_manager(tftp_lab, shell):
    """Before, the service ended with its process and stayed down until the next change."""
    await shell.paste_config(SOURCE + "ephone 1\n mac-address 0011.2233.4455\n"
                             "telephony-service\n create cnf-files\n")
    await ready(tftp_lab)
    first = tftp_service(tftp_lab).link().pid
    os.kill(first, signal.SIGKILL)
    with trio.fail_after(10):
        while (link := tftp_service(tftp_lab).link()) is None or link.pid == first:
            await trio.sleep(0.02)
    host, port = await ready(tftp_lab)
    assert tftp_lab.router.log.contains("TFTP server process ended")
    assert tftp_lab.router.log.contains('%SYS-3-PROC_RESTART: Process "tftp"')
    assert b"<device>" in await tftp_client.download(host, port, "SEP001122334455.cnf.xml")
