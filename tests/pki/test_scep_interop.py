"""An independent SCEP client (micromdm's `scepclient`, Debian package `scep`) enrols with the
router's CA over the lab's sockets, and `openssl verify` accepts the issued chain."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import trio
from conftest import Shell
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pki_support import NSA_3_1, PREAMBLE

from cucme_lab.router.pki.ca import CertificateServer

pytestmark = pytest.mark.skipif(shutil.which("scepclient") is None,
                                reason="scepclient (Debian package scep) is not installed")


async def test_scepclient_enrols_and_openssl_verifies(lab, tmp_path):
    shell = Shell(lab.router)
    with trio.fail_after(60):
        await shell.type(*PREAMBLE, *NSA_3_1.splitlines(), "end")
        await trio.sleep(0.1)
        [entry] = [e for e in lab.services.entries() if e.name == "http"]
        url = f"http://{entry.bound_address}:{entry.bound_port}/cgi-bin/pkiclient.exe"
        done = await trio.run_process(
            ["scepclient", "-server-url", url, "-private-key", str(tmp_path / "client.key"),
             "-certificate", str(tmp_path / "client.pem"), "-keySize", "1024",
             "-cn", "phone-lab-1", "-organization", "lab", "-challenge", "chall1"],
            capture_stdout=True, capture_stderr=True, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr).decode()
    issued = x509.load_pem_x509_certificate((tmp_path / "client.pem").read_bytes())
    ca = CertificateServer(lab.router, "CAserver")
    assert issued.serial_number == ca.last_serial() == 2
    assert issued.issuer == ca.ca_certificate().subject
    (tmp_path / "ca.pem").write_bytes(ca.ca_certificate().public_bytes(Encoding.PEM))
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"),
                             str(tmp_path / "client.pem")], capture_output=True, timeout=30)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.strip().endswith(b": OK")
    # the router's own enrolled certificates verify the same way
    assert (lab.router.storage.flash / "2.cer").read_bytes() == issued.public_bytes(Encoding.DER)
