"""AAA against Debian's FreeRADIUS, started by the test on the RADIUS server's loopback address:
logins accepted and rejected, accounting start and stop in its detail file, and a wrong key or
a stopped server as errors that fall back to the local database."""

from __future__ import annotations

import shutil
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import trio
from remote_clients import TelnetClient, configure, remote_lab

from cucme_lab.shell.commands.aaa import show_aaa_servers_text

DATA = Path(__file__).resolve().parents[1] / "data" / "freeradius"
SERVER = "10.20.0.5"
AAA = f"""interface Loopback0
 ip address 10.17.99.1 255.255.255.255
aaa new-model
aaa authentication login default group radius local
aaa accounting exec default start-stop group radius
ip radius source-interface Loopback0
radius server FR
 address ipv4 {SERVER} auth-port 1812 acct-port 1813
 key s3cret
radius-server timeout 1
radius-server retransmit 1
"""

pytestmark = pytest.mark.skipif(shutil.which("freeradius") is None,
                                reason="FreeRADIUS is not installed (.ci/run installs it)")


@asynccontextmanager
async def freeradius(folder: Path, address: str, secret: str = "s3cret"):
    """FreeRADIUS in the foreground (-X) with the test data's configuration, until the block
    ends; yields its detail (accounting) file."""
    folder.mkdir(parents=True)
    for sub in ("run", "log"):
        (folder / sub).mkdir()
    text = (DATA / "radiusd.conf.in").read_text()
    for name, value in (("DIR", str(folder)), ("ADDRESS", address), ("AUTH_PORT", "1812"),
                        ("ACCT_PORT", "1813"), ("SECRET", secret)):
        text = text.replace(f"@{name}@", value)
    (folder / "radiusd.conf").write_text(text)
    (folder / "users").write_text((DATA / "users").read_text())
    (folder / "dictionary").write_text("")
    output = folder / "radiusd.out"
    with open(output, "wb") as out:
        process = await trio.lowlevel.open_process(
            ["freeradius", "-X", "-f", "-d", str(folder)], stdout=out, stderr=out)
    try:
        with trio.fail_after(20):
            while b"Ready to process requests" not in output.read_bytes():
                if process.poll() is not None:
                    raise RuntimeError(output.read_text())
                await trio.sleep(0.05)
        yield folder / "detail"
    finally:
        process.terminate()
        with trio.move_on_after(5):
            await process.wait()
        if process.poll() is None:
            process.kill()
            await process.wait()


async def login(lab, user: str, password: str) -> tuple[TelnetClient, str]:
    client = await TelnetClient.connect(lab, source="10.1.1.50")
    await client.expect("Username: ")
    await client.send(user)
    await client.expect("Password: ")
    await client.send(password)
    return client, await client.expect(r"R1[>#]$|Username: $", timeout=15)


async def test_freeradius_accepts_rejects_and_records_start_and_stop(tmp_path):
    with trio.fail_after(90):
        async with remote_lab(tmp_path, AAA) as lab:
            address = lab.addresses.to_loopback(SERVER)
            async with freeradius(tmp_path / "radius", address) as detail:
                client, shown = await login(lab, "alice", "wonder")
                assert shown.endswith("R1>")
                await client.send("exit")
                await client.until_closed()
                client, shown = await login(lab, "joe", "joepw")  # local only: rejected
                assert "% Authentication failed" in shown
                await client.aclose()
                with trio.fail_after(15):
                    while not detail.exists() or "Stop" not in detail.read_text():
                        await trio.sleep(0.05)
                records = detail.read_text()
                assert 'User-Name = "alice"' in records
                assert "Acct-Status-Type = Start" in records
                assert "Acct-Status-Type = Stop" in records
                # `ip radius source-interface Loopback0`: its address names the NAS
                assert "NAS-IP-Address = 10.17.99.1" in records
                shown = show_aaa_servers_text(lab.router)
                assert f"RADIUS: id 1, priority 1, host {SERVER}, auth-port 1812, " \
                       "acct-port 1813\n" in shown
                assert "             Response: accept 1, reject 1, challenge 0\n" in shown
                assert "             Request: start 1, interim 0, stop 1\n" in shown


async def test_a_wrong_key_or_a_stopped_server_falls_back_to_local(tmp_path):
    with trio.fail_after(120):
        async with remote_lab(tmp_path, AAA) as lab:
            address = lab.addresses.to_loopback(SERVER)
            async with freeradius(tmp_path / "radius", address, secret="another"):
                client, shown = await login(lab, "alice", "wonder")
                assert "% Authentication failed" in shown  # never admitted on a bad answer
                await client.aclose()
                client, shown = await login(lab, "joe", "joepw")
                assert shown.endswith("R1>")
                await client.aclose()
            client, shown = await login(lab, "joe", "joepw")  # the server is gone
            assert shown.endswith("R1>")
            await client.aclose()
            await configure(lab.router, "")
            assert lab.router.log.contains(f"%AAA-3-SERVER_ERROR: RADIUS server {SERVER}")
            assert lab.router.log.contains(f"%RADIUS-4-RADIUS_DEAD: RADIUS server {SERVER}:1812,"
                                           "1813 is not responding.")
            assert "timeouts 6, failover 0, retransmission 3" in show_aaa_servers_text(lab.router)


async def test_exec_authorization_takes_the_level_of_the_accept(tmp_path):
    with trio.fail_after(90):
        async with remote_lab(tmp_path, AAA + "aaa authorization exec default group radius\n"
                              ) as lab:
            address = lab.addresses.to_loopback(SERVER)
            async with freeradius(tmp_path / "radius", address):
                client, shown = await login(lab, "alice", "wonder")
                assert shown.endswith("R1#")  # Cisco-AVPair shell:priv-lvl=15 in the users file
                await client.aclose()


NAMED = f"""interface Loopback0
 ip address 10.17.99.1 255.255.255.255
aaa new-model
radius server SERV1
 address ipv4 {SERVER} auth-port 1812 acct-port 1813
 timeout 2
 key s3cret
aaa group server radius RADIUS-FARM
 server name SERV1
 ip radius source-interface Loopback0
aaa authentication login RADIUS-LOGIN group RADIUS-FARM local
aaa authorization exec RADIUS-AUTHORIZATION group RADIUS-FARM local
aaa accounting exec RADIUS-ACCOUNTING start-stop group RADIUS-FARM
line vty 0 4
 authorization exec RADIUS-AUTHORIZATION
 accounting exec RADIUS-ACCOUNTING
 login authentication RADIUS-LOGIN
"""


async def test_named_lists_a_server_group_and_the_lines_lists(tmp_path):
    """A real-world configuration (server group, named lists on the vty lines)."""
    with trio.fail_after(90):
        async with remote_lab(tmp_path, NAMED) as lab:
            out = await configure(lab.router, "do show running-config | section line vty")
            assert " authorization exec RADIUS-AUTHORIZATION\n" \
                   " accounting exec RADIUS-ACCOUNTING\n" in out.replace("\r", "")
            address = lab.addresses.to_loopback(SERVER)
            async with freeradius(tmp_path / "radius", address) as detail:
                client, shown = await login(lab, "alice", "wonder")
                assert shown.endswith("R1#")  # the group's Accept gave level 15
                await client.send("exit")
                await client.until_closed()
                with trio.fail_after(15):
                    while not detail.exists() or "Stop" not in detail.read_text():
                        await trio.sleep(0.05)
                assert "NAS-IP-Address = 10.17.99.1" in detail.read_text()
