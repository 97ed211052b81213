"""validate_chain builds the path by signatures, or by names alone when a TLS layer has already
verified the signatures up to the trustpoint's CA (the 2443 listener's OpenSSL)."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lab_pki import LabCA, install_trustpoint, name, rsa_key

from cucme_lab.router.pki.validation import validate_chain

TP = "VAL-TP"


@pytest.fixture(scope="module")
def certs():
    ca, other = LabCA("VALCA"), LabCA("VALCA-OTHER")
    good, _ = ca.issue("SEP001122334455")
    stranger, _ = other.issue("SEP001122334466")
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    forged = (x509.CertificateBuilder().subject_name(name("SEP001122334477"))
              .issuer_name(ca.cert.subject).public_key(rsa_key("forged").public_key())
              .serial_number(99).not_valid_before(start)
              .not_valid_after(start + datetime.timedelta(days=30))
              .sign(rsa_key("forger"), hashes.SHA256()))  # the CA's name, not its key
    return ca, good, stranger, forged


@pytest.mark.parametrize("checked", [False, True])
async def test_both_paths_accept_the_ca_and_refuse_a_stranger(router, certs, checked):
    ca, good, stranger, _ = certs
    install_trustpoint(router, TP, ca)
    assert (await validate_chain(router, [good], TP, signatures_checked=checked)).ok
    refused = await validate_chain(router, [stranger], TP, signatures_checked=checked)
    assert not refused.ok
    assert refused.reason == f"certificate chain does not lead to the trustpoint {TP} CA"


async def test_only_the_signature_path_sees_a_forged_signature(router, certs):
    ca, _, _, forged = certs
    install_trustpoint(router, TP, ca)
    assert not (await validate_chain(router, [forged], TP)).ok
    # names alone: the caller vouches that OpenSSL verified the signature in the handshake
    assert (await validate_chain(router, [forged], TP, signatures_checked=True)).ok
