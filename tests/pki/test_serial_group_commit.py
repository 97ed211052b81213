"""The IOS CA's serials: reserved on disk a block at a time (one fsync per block, not one per
certificate), exact across an orderly reload as IOS keeps them, skipped but never reused after
a crash."""

from __future__ import annotations

import os

import trio
from conftest import Shell
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lab_pki import name, rsa_key
from pki_support import NSA_3_1, PREAMBLE

from cucme_lab.router.pki.ca import SERIAL_BLOCK, CertificateServer
from cucme_lab.router.pki.state import PkiRuntime
from cucme_lab.shell.boot import reload_router


def _csr(cn: str) -> x509.CertificateSigningRequest:
    key = rsa_key("group-commit")
    return x509.CertificateSigningRequestBuilder().subject_name(name(cn)).sign(
        key, hashes.SHA256())


async def _ca(lab) -> CertificateServer:
    with trio.fail_after(60):
        await Shell(lab.router).type(*PREAMBLE, *NSA_3_1.splitlines(), "end")
    return CertificateServer(lab.router, "CAserver")


async def test_a_block_of_certificates_costs_one_durable_write(lab, monkeypatch):
    server = await _ca(lab)
    syncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (syncs.append(fd), real_fsync(fd)))
    serials = [server.issue(_csr(f"SEP{i:012X}")).serial_number for i in range(SERIAL_BLOCK)]
    assert serials == list(range(2, SERIAL_BLOCK + 2))  # the CA certificate has serial 1
    assert len(syncs) <= 2  # the block the CA certificate opened ends; one more is reserved


async def test_an_orderly_reload_goes_on_from_the_exact_serial(lab):
    server = await _ca(lab)
    for i in range(3):
        server.issue(_csr(f"SEP{i:012X}"))
    await Shell(lab.router).type("write memory")
    await reload_router(lab.router, lab.commands)
    server = CertificateServer(lab.router, "CAserver")
    assert server.last_serial() == 4
    assert server.issue(_csr("SEP00000000AAAA")).serial_number == 5


async def test_after_a_crash_serials_are_skipped_never_reused(lab):
    server = await _ca(lab)
    issued = {server.issue(_csr(f"SEP{i:012X}")).serial_number for i in range(3)}
    lab.router.pki_runtime = PkiRuntime()  # memory lost without the orderly release
    server = CertificateServer(lab.router, "CAserver")
    after = server.issue(_csr("SEP00000000BBBB")).serial_number
    assert after > max(issued) and after not in issued
