"""Silent clients cannot hold the vty lines: telnet's `timeout login response` and SSH's
`ip ssh time-out` end a login nobody answers, and free its line for a real administrator."""

from __future__ import annotations

import trio
from remote_clients import TelnetClient, configure, endpoint, remote_lab


async def wait_lines_free(lab, timeout: float = 5.0) -> None:
    with trio.fail_after(timeout):
        while lab.router.vty.connections:
            await trio.sleep(0.02)


async def test_silent_telnet_connections_give_their_lines_back(tmp_path):
    async with remote_lab(tmp_path, "line vty 0 4\n timeout login response 1\n") as lab:
        assert "\n timeout login response 1\n" in lab.router.running_config()
        silent = [await TelnetClient.connect(lab) for _ in range(5)]
        with trio.fail_after(5):
            while len(lab.router.vty.connections) < 5:
                await trio.sleep(0.02)
        refused = await TelnetClient.connect(lab)  # every line is taken: reset at once
        assert await refused.until_closed() == ""
        began = trio.current_time()
        for client in silent:
            text = await client.until_closed(timeout=5)
            assert text.endswith("Username: \r\n% Username:  timeout expired!\r\n"), text
        assert trio.current_time() - began < 3
        await wait_lines_free(lab)
        admin = await TelnetClient.connect(lab)
        assert (await admin.login("admin", "adminpw")).endswith("R1#")
        for client in [*silent, refused, admin]:
            await client.aclose()


async def test_keys_typed_slowly_do_not_extend_the_login_timeout(tmp_path):
    async with remote_lab(tmp_path, "line vty 0 4\n timeout login response 1\n") as lab:
        client = await TelnetClient.connect(lab)
        await client.expect("Username: ")
        began = trio.current_time()
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                async def type_slowly() -> None:
                    for ch in "administrator":
                        try:
                            await client.send(ch, end="")
                        except (trio.BrokenResourceError, trio.ClosedResourceError):
                            return
                        await trio.sleep(0.2)

                nursery.start_soon(type_slowly)
                text = await client.until_closed()
                nursery.cancel_scope.cancel()
        assert "% Username:  timeout expired!" in text
        assert trio.current_time() - began < 2.5
        await client.aclose()
        await wait_lines_free(lab)


async def test_the_password_prompt_times_out_too_and_the_default_is_30_seconds(tmp_path):
    async with remote_lab(tmp_path, "line vty 0 4\n timeout login response 1\n") as lab:
        client = await TelnetClient.connect(lab)
        await client.expect("Username: ")
        await client.send("admin")
        await client.expect("Password: ")
        assert (await client.until_closed()).endswith("% Password:  timeout expired!\r\n")
        await client.aclose()
        await configure(lab.router, "line vty 0 4\n no timeout login response\n")
        assert "timeout login response" not in lab.router.running_config()
        from cucme_lab.router import access as ra

        assert ra.login_response_timeout(ra.vty_section(lab.router.config, 0)) == 30.0


async def test_a_silent_ssh_connection_ends_at_ip_ssh_time_out(tmp_path):
    async with remote_lab(tmp_path, "ip ssh time-out 1\n") as lab:
        host, port = endpoint(lab, "ssh")
        silent = await trio.open_tcp_stream(host, port)  # not even a version string
        with trio.fail_after(5):
            while not lab.router.vty.connections:
                await trio.sleep(0.02)
        began = trio.current_time()
        with trio.fail_after(5):
            try:
                while await silent.receive_some(4096):
                    pass
            except trio.BrokenResourceError:
                pass
        assert trio.current_time() - began < 3
        await silent.aclose()
        await wait_lines_free(lab)


async def test_a_telnet_client_that_stops_reading_is_disconnected_not_buffered(
        tmp_path, monkeypatch):
    """The shell's output to a client that reads nothing is bounded (OUTPUT_LIMIT): past it the
    session ends with a log line, and the next administrator gets a line and a prompt."""
    from cucme_lab.services import vty_listener

    monkeypatch.setattr(vty_listener, "OUTPUT_LIMIT", 64 * 1024)
    async with remote_lab(tmp_path) as lab:
        client = await TelnetClient.connect(lab)
        client.stream.socket.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_RCVBUF, 4096)
        assert (await client.login("admin", "adminpw")).endswith("R1#")
        await client.send("terminal length 0")
        paste = "show running-config\r\n" * 400  # ~1 MB of output, never read
        with trio.fail_after(30):
            while not lab.router.log.contains("%TELNET-4-OUTPUT"):
                with trio.move_on_after(0.2):
                    await client.stream.send_all(paste.encode())
        assert lab.router.log.contains("bytes unread: disconnected")
        await wait_lines_free(lab)
        admin = await TelnetClient.connect(lab)
        assert (await admin.login("admin", "adminpw")).endswith("R1#")
        for c in (client, admin):
            await c.aclose()


async def test_an_ssh_client_that_stops_reading_is_disconnected_not_buffered(
        tmp_path, monkeypatch):
    """As telnet's: a client whose SSH window stays shut leaves output piling up in asyncssh;
    past OUTPUT_LIMIT the connection is dropped with a log line and its line freed."""
    import time

    import paramiko

    from cucme_lab.services import vty_listener

    monkeypatch.setattr(vty_listener, "OUTPUT_LIMIT", 64 * 1024)
    async with remote_lab(tmp_path) as lab:
        host, port = endpoint(lab, "ssh")

        def flood() -> bool:
            client = paramiko.SSHClient()
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            client.connect(host, port=port, username="admin", password="adminpw",
                           look_for_keys=False, allow_agent=False, timeout=5)
            try:
                chan = client.get_transport().open_session(window_size=16384)
                chan.get_pty()
                chan.invoke_shell()  # never read: the window shuts
                chan.settimeout(1)
                chan.send(b"terminal length 0\n")
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and client.get_transport().is_active():
                    try:
                        chan.send(b"show running-config\n" * 50)
                    except (OSError, paramiko.SSHException):
                        break
                    time.sleep(0.05)
                return not client.get_transport().is_active()
            finally:
                client.close()

        with trio.fail_after(40):
            assert await trio.to_thread.run_sync(flood)
        assert lab.router.log.contains("%SSH-4-OUTPUT: SSH client")
        await wait_lines_free(lab)
        admin = await TelnetClient.connect(lab)
        assert (await admin.login("admin", "adminpw")).endswith("R1#")
        await admin.aclose()


async def test_ssh_input_pauses_the_channel_while_the_shell_is_behind():
    """Past INPUT_HIGH chunks the shell has not taken, the SSH channel stops reading (SSH's
    window and TCP hold the client back); at INPUT_LOW it reads again."""
    import math

    from cucme_lab.services import ssh

    calls: list[bool] = []
    bridge = object.__new__(ssh.Bridge)  # just the input side: no connection behind it
    bridge.input_send, bridge.input_receive = trio.open_memory_channel(math.inf)
    bridge.untaken, bridge.paused = 0, False
    bridge.host = type("Host", (), {"call": lambda self, fn, pause: calls.append(pause)})()
    shell_input = ssh.SshLink(bridge).input
    for _ in range(ssh.INPUT_HIGH + 10):
        bridge.feed(b"x")
    assert calls == [True] and bridge.untaken == ssh.INPUT_HIGH + 10
    while bridge.untaken > ssh.INPUT_LOW + 1:
        assert await shell_input.receive() == b"x"
    assert calls == [True]
    await shell_input.receive()
    assert calls == [True, False]
