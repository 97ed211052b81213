"""The lab's TACACS+ server speaks RFC 8907 to two clients that are not ours: the `tacacs_plus`
package (ASCII, PAP, accounting) and Debian's libauthen-tacacsplus-perl (ASCII and PAP)."""

from __future__ import annotations

import shutil
import subprocess
from contextlib import asynccontextmanager

import pytest
import trio
from tacacs_plus.client import TACACSClient
from tacacs_plus.flags import (
    TAC_PLUS_ACCT_FLAG_START,
    TAC_PLUS_ACCT_FLAG_STOP,
    TAC_PLUS_AUTHEN_TYPE_ASCII,
    TAC_PLUS_AUTHEN_TYPE_PAP,
)

from cucme_lab.lab.tacacs_server import LabTacacsServer, TacacsSpec, TacacsUser

SPEC = TacacsSpec("10.17.1.2", "xyz", [TacacsUser("alice", "wonder", 15, "enab"),
                                        TacacsUser("bob", "builder")])


def free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@asynccontextmanager
async def lab_server(host: str = "127.0.0.1"):
    server = LabTacacsServer(SPEC, host, free_port(host))
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        yield server
        nursery.cancel_scope.cancel()


async def test_the_tacacs_plus_package_logs_in_with_ascii_and_pap_and_accounts():
    with trio.fail_after(30):
        async with lab_server() as server:
            def talk(secret: str) -> list:
                client = TACACSClient(server.bind, server.port, secret, timeout=5)
                out = [client.authenticate("alice", "wonder",
                                           authen_type=TAC_PLUS_AUTHEN_TYPE_ASCII).valid,
                       client.authenticate("alice", "nope",
                                           authen_type=TAC_PLUS_AUTHEN_TYPE_ASCII).valid,
                       client.authenticate("bob", "builder",
                                           authen_type=TAC_PLUS_AUTHEN_TYPE_PAP).valid,
                       client.authenticate("bob", "wrong",
                                           authen_type=TAC_PLUS_AUTHEN_TYPE_PAP).valid]
                reply = client.authorize("alice", arguments=[b"service=shell", b"cmd="])
                out.append((reply.valid, reply.arguments))
                for flag in (TAC_PLUS_ACCT_FLAG_START, TAC_PLUS_ACCT_FLAG_STOP):
                    out.append(client.account("alice", flag, arguments=[
                        b"task_id=42", b"service=shell"]).valid)
                return out

            assert await trio.to_thread.run_sync(talk, "xyz") == [
                True, False, True, False, (True, [b"priv-lvl=15"]), True, True]
            assert [(r["user"], r["flags"], r["task_id"]) for r in server.records] == \
                [("alice", "start", "42"), ("alice", "stop", "42")]


PERL = r"""
use Authen::TacacsPlus;
my ($host, $port, $key, $user, $pw, $type) = @ARGV;
my $tac = new Authen::TacacsPlus(Host => $host, Key => $key, Port => $port, Timeout => 5);
die "connect: " . Authen::TacacsPlus::errmsg() . "\n" unless $tac;
my $t = $type eq 'pap' ? &Authen::TacacsPlus::TAC_PLUS_AUTHEN_TYPE_PAP
                       : &Authen::TacacsPlus::TAC_PLUS_AUTHEN_TYPE_ASCII;
print $tac->authen($user, $pw, $t) ? "PASS\n" : "FAIL " . Authen::TacacsPlus::errmsg() . "\n";
$tac->close();
"""


@pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")
async def test_debians_perl_client_logs_in_with_ascii_and_pap():
    if subprocess.run(["perl", "-MAuthen::TacacsPlus", "-e", "1"],
                      capture_output=True).returncode != 0:
        pytest.skip("libauthen-tacacsplus-perl is not installed (.ci/run installs it)")
    with trio.fail_after(60):
        async with lab_server() as server:
            async def perl(key: str, user: str, pw: str, kind: str) -> str:
                done = await trio.run_process(
                    ["perl", "-e", PERL, server.bind, str(server.port), key, user, pw, kind],
                    capture_stdout=True, capture_stderr=True, check=False)
                return done.stdout.decode().strip()

            assert await perl("xyz", "alice", "wonder", "ascii") == "PASS"
            assert (await perl("xyz", "alice", "nope", "ascii")).startswith("FAIL")
            assert await perl("xyz", "bob", "builder", "pap") == "PASS"
            assert (await perl("xyz", "bob", "nope", "pap")).startswith("FAIL")
            # a client with the wrong key is never let in
            assert not (await perl("abc", "alice", "wonder", "ascii")).startswith("PASS")
            assert ("alice", True) in server.logins and ("alice", False) in server.logins
