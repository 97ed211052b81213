"""Remote management without sockets: telnet codec, vty line discipline, ACLs, AAA, privilege."""

from __future__ import annotations

import math

import trio
from hypothesis import given, settings
from hypothesis import strategies as st
from remote_clients import configure

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router import access as ra
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.vty import VtyTerminal
from cucme_lab.wire.telnet import GREETING, TelnetCodec, escape


def test_telnet_codec_strips_negotiation_and_refuses_unasked_options():
    codec = TelnetCodec()
    assert codec.greeting() == GREETING
    data, reply = codec.receive(b"ab\xff\xfd\x01\xff\xfb\x05c\xff\xffd\xff\xf1")
    assert data == b"abc\xffd"
    assert reply == b"\xff\xfe\x05"  # DONT for its WILL; its DO ECHO answers our WILL
    data, reply = codec.receive(b"\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0x")
    assert data == b"x" and codec.events[0].width == 80 and codec.events[0].height == 24
    assert escape(b"\xff") == b"\xff\xff"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=20))
def test_telnet_codec_never_raises(chunks):
    codec = TelnetCodec()
    for chunk in chunks:
        codec.receive(chunk)


class FakeLink:
    def __init__(self) -> None:
        self.feed, self.input = trio.open_memory_channel(math.inf)
        self.sent = b""
        self.closed = False

    def send(self, data: bytes) -> None:
        self.sent += data

    def close(self) -> None:
        self.closed = True


async def test_line_discipline_enter_forms_backspace_and_echo():
    link = FakeLink()
    term = VtyTerminal(link)
    link.feed.send_nowait(b"one\r\ntwo\r\x00thr\x7free\nfour\rfive\r")
    assert await term.readline("> ") == "one"
    assert await term.readline("> ") == "two"
    assert await term.readline("> ") == "three"
    assert await term.readline("> ") == "four"
    assert await term.readline("pw: ", echo=False) == "five"
    assert link.sent == (b"> one\r\n> two\r\n> thr\b \bree\r\n> four\r\npw: \r\n")
    assert b"\x1b" not in link.sent
    link.feed.close()
    assert await term.readline("> ") is None


async def test_line_discipline_help_tab_ctrl_z_and_history(router):
    link = FakeLink()
    term = VtyTerminal(link)
    session = Session(router, term, command_set(), user="admin", line_name="vty 0",
                      origin="vty0 (10.0.0.5)", priv=15, line_number=2,
                      remote_address="10.0.0.5")
    term.session = session
    link.feed.send_nowait(b"sh\tver?\x15conf\tt\r\x1a\x10\r")
    link.feed.close()
    await session.run()
    text = link.sent.decode()
    assert "Router#show ver?\r\nversion  \r\n\r\nRouter#show ver" in text
    assert "Router(config)#^Z\r\nRouter#" in text
    assert text.count("Enter configuration commands") == 2  # Ctrl-P recalled `conf t`
    assert "\x1b" not in text


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_line_discipline_never_raises(data):
    from cucme_lab.router.router import Router

    async def main(tmp: str) -> None:
        router = Router.open(__import__("pathlib").Path(tmp), addresses=AddressPlan())
        link = FakeLink()
        term = VtyTerminal(link)
        session = Session(router, term, command_set(), priv=15, origin="vty0 (10.0.0.5)")
        term.session = session
        link.feed.send_nowait(data)
        link.feed.close()
        with trio.fail_after(10):
            await session.run()

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        trio.run(main, tmp)


async def test_acl_evaluation_counts_hits(router):
    await configure(router, "access-list 10 remark vty\naccess-list 10 permit 10.1.1.0 0.0.0.255"
                    "\naccess-list 10 deny any log\naccess-list 110 deny tcp any any eq telnet"
                    "\naccess-list 110 permit ip 10.0.0.0 0.255.255.255 host 10.1.1.1\n")
    assert ra.acl_permits(router, 10, ra.Packet("10.1.1.5", "10.1.1.1", 22))
    assert not ra.acl_permits(router, 10, ra.Packet("10.2.1.5", "10.1.1.1", 22))
    assert not ra.acl_permits(router, 110, ra.Packet("10.2.1.5", "10.1.1.1", 23))
    assert ra.acl_permits(router, 110, ra.Packet("10.2.1.5", "10.1.1.1", 22))
    assert not ra.acl_permits(router, 110, ra.Packet("192.168.1.1", "10.1.1.1", 22))
    assert ra.acl_permits(router, 55, ra.Packet("192.168.1.1", "10.1.1.1", 22))  # undefined
    assert ra.show_access_lists(router) == (
        "Standard IP access list 10\n"
        "    10 permit 10.1.1.0, wildcard bits 0.0.0.255 (1 match)\n"
        "    20 deny   any log (1 match)\n"
        "Extended IP access list 110\n"
        "    10 deny tcp any any eq telnet (1 match)\n"
        "    20 permit ip 10.0.0.0 0.255.255.255 host 10.1.1.1 (1 match)\n")
    ra.clear_acl_counters(router)
    assert "match" not in ra.show_access_lists(router)


async def test_login_methods_and_fallback(router):
    config = router.config
    vty = ra.vty_section(config, 0)
    assert ra.login_methods(config, vty) == ["line"]
    await configure(router, "username joe privilege 3 secret pw\nline vty 0 4\n login local\n")
    assert ra.login_methods(config, vty) == ["local"]
    await configure(router, "aaa new-model\n")
    assert ra.login_methods(config, vty) == ["local"]  # AAA without a list: local database
    await configure(router, "aaa authentication login default group tacacs+ local\n")
    methods = ra.login_methods(config, vty)
    assert methods == ["group tacacs+", "local"]
    down = ra.walk_methods(config, vty, methods, "joe", "pw", lambda group: ra.ERROR)
    assert down.ok and down.priv == 3 and down.tried == [("group tacacs+", "ERROR"),
                                                         ("local", "PASS")]
    refused = ra.walk_methods(config, vty, methods, "joe", "pw", lambda group: ra.FAIL)
    assert not refused.ok and refused.tried == [("group tacacs+", "FAIL")]


async def test_privilege_override_lookup(router):
    await configure(router, "privilege exec level 2 show running-config\n"
                    "privilege exec level 5 clear line\n")
    config = router.config
    assert ra.command_privilege(config, ["show", "running-config"]) == 2
    assert ra.command_privilege(config, ["show", "running-config", "interface"]) is None
    assert ra.command_privilege(config, ["clear", "line"]) == 5
    assert ra.command_privilege(config, ["show", "version"]) is None


async def test_ctrl_c_on_a_vty_aborts_a_dialogue_and_keeps_its_meaning_at_the_prompt(router):
    """At the CA's passphrase Ctrl-C ends `no shutdown` (twice used to enable the CA with an
    unknown passphrase); at `[yes/no]` it ends the question instead of asking again."""
    link = FakeLink()
    term = VtyTerminal(link)
    session = Session(router, term, command_set(), user="admin", line_name="vty 0",
                      origin="vty0 (10.0.0.5)", priv=15, line_number=2,
                      remote_address="10.0.0.5")
    term.session = session
    link.feed.send_nowait(b"conf t\rcrypto pki server LABCA\rno shutdown\r\x03no shutdown\r"
                          b"pw\r\x03end\rreload\r\x03show clock\r")
    link.feed.close()
    await session.run()
    text = link.sent.decode()
    assert text.count("Password: ^C\r\nRouter(cs-server)#") == 1
    assert "Re-enter password: ^C\r\nRouter(cs-server)#end" in text
    assert "Save? [yes/no]: ^C\r\nRouter#show clock" in text
    assert "% Please answer" not in text and "Certificate Server enabled" not in text
    assert not router.keystore.has("LABCA")
