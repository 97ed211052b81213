"""Remote management end to end: real telnet, SSH, netmiko and OpenSSH clients on loopback.

Each test boots a lab with only the SSH and telnet services, configures the router through its
console, and connects from real sockets (from a chosen loopback source address where the
access-class matters).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import paramiko
import pytest
import trio
from remote_clients import BASE_CONFIG, TelnetClient, configure, endpoint, remote_lab

from cucme_lab.router import access as ra
from cucme_lab.shell.boot import reload_router

APPENDIX_B = Path(__file__).parent / "data" / "nsa_appendix_b.txt"
# The Appendix B lines IOS refuses (tests/cli/test_documents.py): three `rsa-keypair` (the
# keyword is `rsakeypair`) and five elided certificates (`...`).
APPENDIX_B_REJECTIONS = 8


def ssh_client(host: str, port: int, user: str, password: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, port=port, username=user, password=password, look_for_keys=False,
                   allow_agent=False, timeout=5, auth_timeout=5, banner_timeout=5)
    return client


def ssh_shell_text(host: str, port: int, user: str, password: str, lines: list[str]) -> str:
    client = ssh_client(host, port, user, password)
    try:
        chan = client.invoke_shell(term="vt100", width=511, height=1000)
        chan.settimeout(5)
        for line in lines:
            chan.send((line + "\n").encode())
        out = b""
        while True:
            data = chan.recv(65536)
            if not data:
                break
            out += data
        return out.decode()
    finally:
        client.close()


async def test_telnet_login_local_session_and_exit(tmp_path):
    async with remote_lab(tmp_path) as lab:
        client = await TelnetClient.connect(lab, source="10.1.1.50")
        banner = await client.expect("Username: ")
        assert "\r\n\r\nUser Access Verification\r\n\r\nUsername: " in banner
        await client.send("admin")
        await client.expect("Password: ")
        await client.send("adminpw")
        assert (await client.expect("R1#$")).endswith("\r\n\r\nR1#")
        await client.send("show users")
        users = await client.expect("R1#$")
        from ntc_templates.parse import parse_output

        rows = parse_output(platform="cisco_ios", command="show users",
                            data=users.replace("\r\n", "\n").split("\n", 1)[1].rsplit("\n", 1)[0])
        assert rows == [{"line": "*  2 vty 0", "user": "admin", "hosts": "idle",
                         "idle": "00:00:00", "location": "10.1.1.50"}]
        await client.send("configure terminal")
        await client.expect(r"R1\(config\)#$")
        await client.send("end")
        await client.expect("R1#$")
        assert lab.router.log.contains(
            "%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.50)")
        await client.send("exit")
        await client.until_closed()
        assert lab.router.vty.connections == {}
        assert [s for s in lab.router.sessions if s.line_name.startswith("vty")] == []


async def test_line_password_login_and_no_password_set(tmp_path):
    async with remote_lab(tmp_path, "line vty 0 4\n login\n") as lab:
        client = await TelnetClient.connect(lab)
        assert "Password required, but none set" in await client.until_closed()
        await configure(lab.router, "line vty 0 4\n password linepw\n")
        client = await TelnetClient.connect(lab)
        await client.expect("Password: ")
        for _ in range(3):
            await client.send("wrong")
        assert "% Bad passwords" in await client.until_closed()
        client = await TelnetClient.connect(lab)
        await client.expect("Password: ")
        await client.send("linepw")
        await client.expect("R1>$")
        await client.send("enable")
        await client.expect("Password: ")
        await client.send("cisco")
        await client.expect("R1#$")
        await client.send("configure terminal")
        await client.send("end")
        await client.expect("R1#$")
        await client.aclose()
        with trio.fail_after(5):
            while not lab.router.log.contains("Configured from console by vty0 ("):
                await trio.sleep(0.01)


async def test_telnet_refused_when_transport_input_ssh(tmp_path):
    async with remote_lab(tmp_path, "line vty 0 4\n transport input ssh\n") as lab:
        client = await TelnetClient.connect(lab)
        text = await client.until_closed()
        assert "User Access Verification" not in text
        host, port = endpoint(lab, "ssh")
        out = await trio.to_thread.run_sync(ssh_shell_text, host, port, "admin", "adminpw",
                                            ["show privilege", "exit"])
        assert "Current privilege level is 15" in out


async def test_access_class_refuses_sources_outside_the_list(tmp_path):
    extra = "access-list 10 permit 10.1.1.0 0.0.0.255\nline vty 0 4\n access-class 10 in\n"
    async with remote_lab(tmp_path, extra) as lab:
        outside = await TelnetClient.connect(lab, source="192.168.5.5")
        assert "Username" not in await outside.until_closed()
        inside = await TelnetClient.connect(lab, source="10.1.1.77")
        await inside.login("admin", "adminpw")
        await inside.send("show access-lists")
        shown = await inside.expect("R1#$")
        assert "Standard IP access list 10\r\n" in shown
        assert "    10 permit 10.1.1.0, wildcard bits 0.0.0.255 (1 match)\r\n" in shown
        await inside.aclose()
        # an extended list judges the protocol and port too: SSH only, from one host
        await configure(lab.router, "access-list 101 permit tcp host 10.1.1.9 any eq 22\n"
                                    "line vty 0 4\n access-class 101 in\n")
        trusted = await TelnetClient.connect(lab, source="10.1.1.9")
        assert "Username" not in await trusted.until_closed()
        shown = ra.show_access_lists(lab.router, 101)
        assert shown == "Extended IP access list 101\n    10 permit tcp host 10.1.1.9 any eq 22\n"


async def test_wrong_passwords_are_counted_and_refused(tmp_path):
    async with remote_lab(tmp_path, "login on-failure log\n") as lab:
        client = await TelnetClient.connect(lab, source="10.1.1.60")
        text = ""
        for _ in range(3):
            text += await client.expect("Username: ")
            await client.send("joe")
            text += await client.expect("Password: ")
            await client.send("not-joe")
        text += await client.until_closed()
        assert text.count("% Login invalid") == 3 and "R1>" not in text
        host, port = endpoint(lab, "ssh")
        with pytest.raises(paramiko.AuthenticationException):
            await trio.to_thread.run_sync(ssh_client, host, port, "joe", "still-wrong")
        failures = lab.router.vty.failures
        assert failures[("joe", "10.1.1.60", 23)].count == 3
        assert sum(f.count for f in failures.values()) >= 4
        assert lab.router.log.contains("%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: joe] "
                                       "[Source: 10.1.1.60] [localport: 23] [Reason: Login "
                                       "Authentication Failed] at ")
        client = await TelnetClient.connect(lab)
        await client.login("admin", "adminpw")
        await client.send("show login failures")
        shown = await client.expect("R1#$")
        assert "joe              10.1.1.60       23    3" in shown
        await client.aclose()


async def test_aaa_falls_back_to_local_when_tacacs_is_unreachable(tmp_path):
    extra = ("aaa new-model\naaa authentication login default group tacacs+ local\n"
             "aaa authentication enable default group tacacs+ enable\n"
             "tacacs-server host 10.17.1.2\ntacacs-server key xyz\n")
    async with remote_lab(tmp_path, extra) as lab:
        # something at the second server's address that accepts and says nothing: the router
        # really connects there, gets no TACACS+ answer, and still falls back
        second = lab.addresses.to_loopback("10.17.34.10")
        listeners = await trio.open_tcp_listeners(lab.addresses.port(49), host=second)
        attempts = []

        async def record(stream):
            attempts.append(stream)
            await stream.aclose()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, record, listeners)
            await configure(lab.router, "tacacs-server host 10.17.34.10\n")
            client = await TelnetClient.connect(lab)
            await client.expect("Username: ")
            await client.send("joe")
            await client.expect("Password: ")
            await client.send("joepw")
            await client.expect("R1>$", timeout=10)
            await client.send("enable")
            await client.expect("Password: ")
            await client.send("wrong")
            assert "% Access denied" in await client.expect("Password: ")
            await client.send("cisco")
            await client.expect("R1#$")
            await client.aclose()
            host, port = endpoint(lab, "ssh")
            out = await trio.to_thread.run_sync(ssh_shell_text, host, port, "admin", "adminpw",
                                                ["show privilege", "exit"])
            assert "Current privilege level is 15" in out
            with pytest.raises(paramiko.AuthenticationException):
                await trio.to_thread.run_sync(ssh_client, host, port, "admin", "wrong")
            assert len(attempts) >= 3
            nursery.cancel_scope.cancel()


async def test_privilege_level_2_user_is_denied_level_15_commands(tmp_path):
    extra = "username op privilege 2 secret oppw\n"
    async with remote_lab(tmp_path, extra) as lab:
        client = await TelnetClient.connect(lab)
        await client.login("op", "oppw")
        await client.send("show privilege")
        assert "Current privilege level is 2" in await client.expect("R1#$")
        await client.send("configure terminal")
        assert (await client.expect("R1#$")) == (
            "configure terminal\r\n" + " " * 13 + "^\r\n% Invalid input detected at '^' marker."
            "\r\n\r\nR1#")
        await client.send("show running-config")
        denied = await client.expect("R1#$")
        assert "\r\n" + " " * 8 + "^\r\n% Invalid input detected at '^' marker." in denied
        await client.send("terminal length 0")
        await client.expect("R1#$")
        await configure(lab.router, "privilege exec level 2 show running-config\n"
                                    "privilege exec level 15 show clock\n")
        await client.send("show running-config")
        assert "privilege exec level 2 show running-config" in await client.expect("R1#$")
        await client.send("show clock")
        assert "% Invalid input detected" in await client.expect("R1#$")
        await client.aclose()


async def test_extra_connections_beyond_the_vty_lines_are_refused(tmp_path):
    async with remote_lab(tmp_path, "line vty 0 4\n no login\n") as lab:
        clients = [await TelnetClient.connect(lab) for _ in range(5)]
        for c in clients:
            await c.expect("R1>$")
        sixth = await TelnetClient.connect(lab)
        assert await sixth.until_closed() == ""
        await clients[0].send("show users")
        assert "*  2 vty 0" in await clients[0].expect("R1>$")
        await clients[2].send("exit")
        await clients[2].until_closed()
        again = await TelnetClient.connect(lab)
        await again.expect("R1>$")
        assert lab.router.vty.connections[2].session is not None
        for c in [*clients, again]:
            await c.aclose()


async def test_clear_line_and_exec_timeout(tmp_path):
    async with remote_lab(tmp_path, "line vty 0 4\n exec-timeout 0 1\n") as lab:
        idle = await TelnetClient.connect(lab)
        await idle.login("joe", "joepw")
        with trio.fail_after(5):
            await idle.until_closed()
        await configure(lab.router, "line vty 0 4\n exec-timeout 10 0\n")
        admin = await TelnetClient.connect(lab)
        await admin.login("admin", "adminpw")
        victim = await TelnetClient.connect(lab)
        await victim.login("joe", "joepw")
        await admin.send("clear line vty 1")
        await admin.expect(r"\[confirm\]")
        await admin.send("")
        assert " [OK]" in await admin.expect("R1#$")
        await victim.until_closed()
        await admin.aclose()


async def test_terminal_monitor_and_telnet_options(tmp_path):
    async with remote_lab(tmp_path) as lab:
        host, port = endpoint(lab, "telnet")
        stream = await trio.open_tcp_stream(host, port)
        greeting = await stream.receive_some(100)
        assert greeting.startswith(b"\xff\xfb\x01\xff\xfb\x03")  # WILL ECHO, WILL SGA
        # refuse everything (as netmiko does) and type with \r\0: still echoed, one Enter each
        await stream.send_all(b"\xff\xfe\x01\xff\xfe\x03\xff\xfc\x18\xff\xfc\x1f")
        client = TelnetClient(stream)
        await client.expect("Username: ")
        await client.send("admin", end="\r\0")
        await client.expect("Password: ")
        await client.send("adminpw", end="\r\0")
        await client.expect("R1#$")
        await configure(lab.router, "hostname R1\nend\n")  # no syslog before terminal monitor
        await client.send("show privx\x08ilege")
        assert "Current privilege level is 15" in await client.expect("R1#$")
        await client.send("terminal monitor")
        await client.expect("R1#$")
        await configure(lab.router, "hostname R1\nend\n")
        assert "%SYS-5-CONFIG_I: Configured from console by console" in \
            await client.expect("console by console")
        await client.send("show ver?", end="")
        assert "version  \r\n\r\nR1#show ver" in await client.expect("R1#show ver$")
        await client.send("\x15conf\tt\t")
        await client.expect(r"R1\(config\)#$")
        await client.send("\x1a", end="")
        assert "^Z\r\n" in await client.expect("R1#$")
        await client.aclose()


async def test_netmiko_ssh_applies_appendix_b_and_saves(tmp_path):
    netmiko = pytest.importorskip("netmiko")
    async with remote_lab(tmp_path) as lab:
        host, port = endpoint(lab, "ssh")

        def drive() -> tuple[str, str, str]:
            with netmiko.ConnectHandler(device_type="cisco_ios", host=host, port=port,
                                        username="joe", password="joepw",
                                        secret="cisco") as conn:
                conn.enable()
                applied = conn.send_config_set(APPENDIX_B.read_text().splitlines())
                running = conn.send_command("show running-config")
                saved = conn.save_config()
            return applied, running, saved

        applied, running, saved = await trio.to_thread.run_sync(drive)
        assert applied.count("% Invalid input detected") == APPENDIX_B_REJECTIONS
        assert running.startswith("Building configuration...")
        assert running.rstrip().endswith("end")
        assert lab.router.running_config().strip().endswith(running.strip().splitlines()[-1])
        for line in ("telephony-service", "ephone  4", " mac-address CAFE.CAFE.4567",
                     "ctl-client", "interface Vlan10"):
            assert line in running.splitlines()
        assert "[OK]" in saved
        assert "ephone  4" in (lab.router.startup_config() or "")


async def test_netmiko_telnet_applies_appendix_b_and_saves(tmp_path):
    netmiko = pytest.importorskip("netmiko")
    async with remote_lab(tmp_path) as lab:
        host, port = endpoint(lab, "telnet")

        def drive() -> tuple[str, str, str]:
            with netmiko.ConnectHandler(device_type="cisco_ios_telnet", host=host, port=port,
                                        username="admin", password="adminpw",
                                        secret="cisco") as conn:
                conn.enable()
                applied = conn.send_config_set(APPENDIX_B.read_text().splitlines())
                running = conn.send_command("show running-config")
                saved = conn.save_config()
            return applied, running, saved

        applied, running, saved = await trio.to_thread.run_sync(drive)
        assert applied.count("% Invalid input detected") == APPENDIX_B_REJECTIONS
        assert "ephone  4" in running.splitlines()
        assert "[OK]" in saved
        assert "ephone  4" in (lab.router.startup_config() or "")


@pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH client not installed")
async def test_openssh_client_logs_in_with_a_password(tmp_path):
    async with remote_lab(tmp_path) as lab:
        host, port = endpoint(lab, "ssh")
        askpass = tmp_path / "askpass.sh"
        askpass.write_text("#!/bin/sh\necho adminpw\n")
        askpass.chmod(0o755)
        env = dict(os.environ, SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force",
                   DISPLAY="none")
        base = ["ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
                "-o", f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
                "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
                "-o", "ConnectTimeout=5", "-p", str(port), f"admin@{host}"]
        with trio.fail_after(20):
            result = await trio.run_process([*base, "show privilege"], env=env,
                                            capture_stdout=True, capture_stderr=True,
                                            stdin=subprocess.DEVNULL, check=False)
            assert result.returncode == 0, result.stderr
            assert result.stdout == b"Current privilege level is 15\r\n"
            result = await trio.run_process([*base, "-T"], env=env, capture_stdout=True,
                                            capture_stderr=True,
                                            stdin=b"show ssh\nexit\n", check=False)
        text = result.stdout.decode()
        assert "IN   aes128-ctr" in text and "admin" in text
        assert text.rstrip().endswith("R1#exit")


async def test_host_key_persists_across_reload_once_saved(tmp_path):
    async with remote_lab(tmp_path) as lab:
        host, port = endpoint(lab, "ssh")

        def served_key() -> str:
            transport = paramiko.Transport((host, port))
            try:
                transport.start_client(timeout=5)
                return transport.get_remote_server_key().get_base64()
            finally:
                transport.close()

        before = await trio.to_thread.run_sync(served_key)
        lab.router.write_memory()
        await reload_router(lab.router, lab.commands)
        assert "ip domain name lab.local" in lab.router.running_config()
        with trio.fail_after(5):
            while True:
                try:
                    after = await trio.to_thread.run_sync(served_key)
                    break
                except (OSError, paramiko.SSHException):
                    await trio.sleep(0.05)
        assert after == before


async def test_ssh_is_off_without_a_key_and_show_ip_ssh(tmp_path, shell):
    from cucme_lab.lab.router_lab import open_lab
    from cucme_lab.services.ssh import SshService

    async with open_lab(tmp_path / "lab", services=[SshService()]) as lab:
        await configure(lab.router, BASE_CONFIG)
        await trio.sleep(0.05)
        assert lab.services.entries() == []
        shell.router = lab.router
        out = await shell.type("show ip ssh")
        assert "SSH Disabled - version 1.99" in out
        await configure(lab.router, "crypto key generate rsa modulus 768\n")
        with trio.fail_after(5):
            while not lab.services.entries():
                await trio.sleep(0.01)
        assert "SSH Enabled - version 1.99" in await shell.type("show ip ssh")
        assert lab.router.log.contains("%SSH-5-ENABLED: SSH 1.99 has been enabled")


async def test_lab_stops_cleanly_with_sessions_open(tmp_path):
    import threading

    async with remote_lab(tmp_path) as lab:
        host, port = endpoint(lab, "ssh")
        client = await trio.to_thread.run_sync(ssh_client, host, port, "admin", "adminpw")
        chan = client.invoke_shell()
        telnet = await TelnetClient.connect(lab)
        await telnet.login("admin", "adminpw")
        with trio.fail_after(5):
            while len(lab.router.vty.connections) < 2:
                await trio.sleep(0.01)
    assert not [t for t in threading.enumerate() if t.name == "ssh-asyncio"]
    assert await telnet.until_closed() is not None
    chan.settimeout(5)
    while chan.recv(1000):
        pass
    client.close()
