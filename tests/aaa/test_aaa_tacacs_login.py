"""AAA against the lab's TACACS+ server, end to end: telnet logins, `enable`, accounting, the
HTTP server's basic auth, and the method list falling back only on an error (server down,
slow, or on another key), never after a reject."""

from __future__ import annotations

import base64
from contextlib import asynccontextmanager

import trio
from remote_clients import TelnetClient, configure, remote_lab

from cucme_lab.lab.runtime import tacacs_server_for
from cucme_lab.lab.tacacs_server import TacacsSpec, TacacsUser
from cucme_lab.services.http import HttpService
from cucme_lab.shell.commands.aaa import show_tacacs_text

AAA = """interface Loopback0
 ip address 10.17.99.1 255.255.255.255
aaa new-model
aaa authentication login default group tacacs+ local
aaa authentication enable default group tacacs+ enable
aaa accounting exec default start-stop group tacacs+
aaa accounting commands 1 default start-stop group tacacs+
aaa accounting commands 15 default start-stop group tacacs+
ip tacacs source-interface Loopback0
tacacs-server host 10.17.1.2
tacacs-server timeout 1
tacacs-server key xyz
"""
USERS = [TacacsUser("alice", "wonder", 15, "enab")]


@asynccontextmanager
async def tacacs_lab(tmp_path, key: str = "xyz", extra: str = "", services=None):
    async with remote_lab(tmp_path, AAA + extra) as lab:
        if services:
            for service in services:
                lab.services.services.append(service)
        server = tacacs_server_for(lab, TacacsSpec("10.17.1.2", key, USERS))
        async with trio.open_nursery() as nursery:
            await nursery.start(server.run)
            yield lab, server, nursery
            nursery.cancel_scope.cancel()


async def login(lab, user: str, password: str) -> tuple[TelnetClient, str]:
    client = await TelnetClient.connect(lab, source="10.1.1.50")
    await client.expect("Username: ")
    await client.send(user)
    await client.expect("Password: ")
    await client.send(password)
    return client, await client.expect(r"R1[>#]$|Username: $", timeout=10)


async def test_a_tacacs_user_logs_in_enables_and_is_accounted_for(tmp_path):
    with trio.fail_after(60):
        async with tacacs_lab(tmp_path) as (lab, server, _):
            client, shown = await login(lab, "alice", "wonder")
            assert shown.endswith("R1>")
            await client.send("enable")
            await client.expect("Password: ")
            await client.send("enab")
            await client.expect("R1#$")
            await client.send("show tacacs")
            shown = await client.expect("R1#$")
            assert "Tacacs+ Server -  public  :\r\n            Server address: 10.17.1.2\r\n" \
                   "               Server port: 49\r\n" in shown
            await client.send("exit")
            await client.until_closed()
            with trio.fail_after(10):
                while not any(r["flags"] == "stop" and r.get("service") == "shell" and
                              "cmd" not in r for r in server.records):
                    await trio.sleep(0.02)
            kinds = [(r["flags"], r.get("cmd")) for r in server.records]
            assert kinds[0] == ("start", None)  # the exec session's start
            assert ("start", "show tacacs <cr>") in kinds and ("stop", "show tacacs <cr>") in kinds
            assert all(r["user"] == "alice" and r["rem_addr"] == "10.1.1.50"
                       for r in server.records)
            # `ip tacacs source-interface Loopback0`: every request came from its address
            assert set(server.peers) == {lab.addresses.to_loopback("10.17.99.1")}
            # the server's accounting records are in lab.json
            from cucme_lab.lab.manifest import read_manifest

            listed = read_manifest(lab.lab_dir)["lab_services"][0]["accounting"]
            assert any(r.get("cmd") == "show tacacs <cr>" for r in listed)


async def test_a_reject_is_final_even_for_a_local_user(tmp_path):
    with trio.fail_after(60):
        async with tacacs_lab(tmp_path) as (lab, server, _):
            client, shown = await login(lab, "joe", "joepw")  # joe is local only
            assert "% Authentication failed" in shown and shown.endswith("Username: ")
            assert ("joe", False) in server.logins
            await client.aclose()


async def test_the_local_fallback_works_only_while_the_server_is_down(tmp_path):
    with trio.fail_after(60):
        async with remote_lab(tmp_path, AAA) as lab:
            server = tacacs_server_for(lab, TacacsSpec("10.17.1.2", "xyz", USERS))
            for up in (True, False, True):
                async with trio.open_nursery() as nursery:
                    if up:
                        await nursery.start(server.run)
                    client, shown = await login(lab, "joe", "joepw")
                    await client.aclose()
                    nursery.cancel_scope.cancel()
                if up:  # the server answers: its reject is final
                    assert "% Authentication failed" in shown
                else:  # down: an error, and the local database decides
                    assert shown.endswith("R1>")
            assert lab.router.log.contains("%AAA-3-SERVER_ERROR: TACACS+ server 10.17.1.2")


async def test_a_server_on_another_key_or_a_silent_one_is_an_error(tmp_path):
    with trio.fail_after(60):
        async with tacacs_lab(tmp_path, key="other") as (lab, server, _):
            client, shown = await login(lab, "alice", "wonder")
            assert "% Authentication failed" in shown  # alice is no local user
            await client.aclose()
            client, shown = await login(lab, "joe", "joepw")
            assert shown.endswith("R1>")  # ERROR: the next method, local, decides
            await client.aclose()
            assert not any(ok for _user, ok in server.logins)
        async with remote_lab(tmp_path / "silent", AAA) as lab:
            silent = await trio.open_tcp_listeners(lab.addresses.port(49),
                                                   host=lab.addresses.to_loopback("10.17.1.2"))
            held = []

            async def hold(stream):
                held.append(stream)
                await trio.sleep_forever()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio.serve_listeners, hold, silent)
                client, shown = await login(lab, "joe", "joepw")
                assert shown.endswith("R1>")
                shown = show_tacacs_text(lab.router)
                assert "           Socket Timeouts:          1\n" in shown
                await client.aclose()
                nursery.cancel_scope.cancel()


async def test_ip_http_authentication_aaa_asks_the_login_list(tmp_path):
    with trio.fail_after(60):
        async with remote_lab(tmp_path, AAA) as lab:
            lab.services.services.append(HttpService())
            server = tacacs_server_for(lab, TacacsSpec("10.17.1.2", "xyz", USERS))
            async with trio.open_nursery() as nursery:
                await nursery.start(server.run)
                await configure(lab.router, "ip http server\nip http authentication aaa\n")
                entry = await lab.service("http")

                async def get(user: str, password: str) -> bytes:
                    stream = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
                    token = base64.b64encode(f"{user}:{password}".encode())
                    await stream.send_all(b"GET / HTTP/1.1\r\nHost: r\r\nAuthorization: Basic "
                                          + token + b"\r\nConnection: close\r\n\r\n")
                    data = b""
                    while chunk := await stream.receive_some(65536):
                        data += chunk
                    return data.split(b"\r\n", 1)[0]

                assert await get("alice", "wonder") == b"HTTP/1.1 200 OK"
                assert await get("alice", "nope") == b"HTTP/1.1 401 Unauthorized"
                # the enable secret no longer opens the pages, and a reject is final
                assert await get("admin", "cisco") == b"HTTP/1.1 401 Unauthorized"
                assert await get("admin", "adminpw") == b"HTTP/1.1 401 Unauthorized"
                nursery.cancel_scope.cancel()


async def test_ssh_logins_ask_the_server_and_lab_json_lists_it(tmp_path):
    import paramiko

    from cucme_lab.lab.manifest import read_manifest

    def ssh_login(host: str, port: int, user: str, password: str) -> bool:
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(host, port=port, username=user, password=password,
                           look_for_keys=False, allow_agent=False, timeout=5, auth_timeout=10,
                           banner_timeout=5)
            return True
        except paramiko.AuthenticationException:
            return False
        finally:
            client.close()

    with trio.fail_after(60):
        async with tacacs_lab(tmp_path) as (lab, server, _):
            entry = next(e for e in lab.services.entries() if e.name == "ssh")
            address, port = entry.bound_address, entry.bound_port
            assert await trio.to_thread.run_sync(ssh_login, address, port, "alice", "wonder")
            assert not await trio.to_thread.run_sync(ssh_login, address, port, "joe", "joepw")
            assert ("alice", True) in server.logins and ("joe", False) in server.logins
            manifest = read_manifest(lab.lab_dir)
            assert {"role": "tacacs+ server", "configured_address": "10.17.1.2",
                    "configured_port": 49, "transport": "tcp",
                    "address": lab.addresses.to_loopback("10.17.1.2"),
                    "port": lab.addresses.port(49),
                    "router_source_address": lab.addresses.to_loopback("10.17.99.1")} \
                in manifest["outside_hosts"]
            lab.write_manifest()
            listed = read_manifest(lab.lab_dir)["lab_services"]
            assert listed[0]["configured_address"] == "10.17.1.2" and listed[0]["up"]


async def test_exec_authorization_gives_the_servers_level(tmp_path):
    users = [TacacsUser("alice", "wonder", 15), TacacsUser("bob", "builder", 7)]
    with trio.fail_after(60):
        async with remote_lab(tmp_path, AAA + "aaa authorization exec default group tacacs+\n"
                              ) as lab:
            server = tacacs_server_for(lab, TacacsSpec("10.17.1.2", "xyz", users))
            async with trio.open_nursery() as nursery:
                await nursery.start(server.run)
                client, shown = await login(lab, "alice", "wonder")
                assert shown.endswith("R1#")  # level 15 from the server, no enable needed
                await client.aclose()
                client, shown = await login(lab, "bob", "builder")
                await client.send("show privilege")
                assert "Current privilege level is 7" in await client.expect("R1#$")
                await client.aclose()
                nursery.cancel_scope.cancel()
            # the server is down: authentication falls back to local, authorization has no
            # method left that answers, and the session is refused
            client = await TelnetClient.connect(lab, source="10.1.1.50")
            await client.expect("Username: ")
            await client.send("joe")
            await client.expect("Password: ")
            await client.send("joepw")
            assert "% Authorization failed." in await client.until_closed(timeout=15)


async def test_a_server_answering_garbage_never_admits_anyone(tmp_path):
    with trio.fail_after(60):
        async with remote_lab(tmp_path, AAA) as lab:
            listeners = await trio.open_tcp_listeners(
                lab.addresses.port(49), host=lab.addresses.to_loopback("10.17.1.2"))

            async def garbage(stream):
                async with stream:
                    await stream.receive_some(4096)
                    # a well-formed header claiming a PASS reply, and a body of noise
                    await stream.send_all(bytes([0xC0, 1, 2, 0]) + b"\0\0\0\1" + b"\0\0\0\x06"
                                          + b"\x01\xff\xff\xff\xff\xff")

            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio.serve_listeners, garbage, listeners)
                client, shown = await login(lab, "alice", "wonder")
                assert "% Authentication failed" in shown  # ERROR, then local: no alice
                await client.aclose()
                client, shown = await login(lab, "joe", "joepw")
                assert shown.endswith("R1>")  # the local database still serves
                await client.aclose()
                nursery.cancel_scope.cancel()
