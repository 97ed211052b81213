"""CAPF in LSC and MIC modes hands an LSC only to the phone the certificate was issued to, and
only while that certificate is good: chain, dates at the router's clock, revocation."""

from __future__ import annotations

import datetime

import pytest
import trio
from cryptography.hazmat.primitives import serialization
from lab_pki import LabCA, crl_source, install_trustpoint, rsa_key
from test_capf_service import DEVICE, enrol, start

from cucme_lab.phones.capf_client import run_capf
from cucme_lab.wire import capf

OTHER = "SEPCAFECAFE2345"
MIC_ROOT = "CISCO_MIC_ROOT"
MODES = {"LSC": capf.AuthType.LSC, "MIC": capf.AuthType.MIC}


@pytest.fixture(scope="module")
def ca() -> LabCA:
    return LabCA("CAServer")


@pytest.fixture(scope="module")
def factory() -> LabCA:
    return LabCA("Cisco Manufacturing CA")


def credential(cert, key) -> capf.CertificateCredential:
    return capf.CertificateCredential(cert.public_bytes(serialization.Encoding.DER), key)


async def lab_with_two_phones(lab, shell, ca, factory, mode: str, *, revoked=()):
    """Phones 1 and 2 both scheduled for an upgrade authenticated by `mode`; the CA and the
    manufacturer root publish CRLs (revoking `revoked`) and the root is checked by CRL too."""
    entry, cert = await start(lab, shell, ca)
    install_trustpoint(lab.router, MIC_ROOT, factory, revocation="crl")
    lab.crl_source = crl_source(ca, factory, revoked=revoked)
    out = await shell.paste_config(f"ephone 1\n cert-oper upgrade auth-mode {mode}\n"
                                   f"ephone 2\n mac-address CAFE.CAFE.2345\n"
                                   f" cert-oper upgrade auth-mode {mode}\n button 1:1")
    assert "% " not in out, out
    return entry, cert


def issuer_for(mode: str, ca: LabCA, factory: LabCA) -> LabCA:
    return ca if mode == "LSC" else factory


async def present(lab, entry, cert, mode: str, device: str, credential):
    kind = "lsc" if mode == "LSC" else "mic"
    with trio.fail_after(30):
        return await run_capf(entry.bound_address, entry.bound_port, device_name=device,
                              capf_certificate=cert, auth_mode=MODES[mode],
                              local_address=lab.addresses.to_loopback("1.2.3.21"),
                              **{kind: credential})


@pytest.mark.parametrize("mode", ["LSC", "MIC"])
async def test_phone_ones_certificate_cannot_get_an_lsc_for_phone_two(lab, shell, ca, factory,
                                                                      mode):
    entry, cert = await lab_with_two_phones(lab, shell, ca, factory, mode)
    ones = credential(*issuer_for(mode, ca, factory).issue(DEVICE))
    refused = await present(lab, entry, cert, mode, OTHER, ones)
    assert refused.reason == capf.Reason.INVALID_ELEMENT and not refused.ok, refused
    assert refused.lsc is (ones if mode == "LSC" else None)  # nothing new was issued
    assert lab.router.log.contains(f"%CAPF-3-AUTH_FAIL: CAPF session ended for a phone: "
                                   f"authentication failed for {OTHER}: the certificate is "
                                   f"issued to {DEVICE}, not to {OTHER}")
    assert OTHER not in lab.router.capf.certificates
    assert lab.router.running_config().count(f"cert-oper upgrade auth-mode {mode}") == 2
    # the same certificate still serves its own phone
    own = await present(lab, entry, cert, mode, DEVICE, ones)
    assert own.ok and own.lsc is not None and own.lsc is not ones, own
    assert lab.router.capf.certificates[DEVICE] == own.lsc.certificate_der


@pytest.mark.parametrize("mode", ["LSC", "MIC"])
async def test_an_expired_certificate_is_refused(lab, shell, ca, factory, mode):
    entry, cert = await lab_with_two_phones(lab, shell, ca, factory, mode)
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=400)
    expired = credential(*issuer_for(mode, ca, factory).issue(DEVICE, rsa_key(DEVICE),
                                                               days=365, not_before=long_ago))
    refused = await present(lab, entry, cert, mode, DEVICE, expired)
    assert refused.reason == capf.Reason.INVALID_ELEMENT, refused
    assert refused.lsc is (expired if mode == "LSC" else None)
    log = lab.router.log
    assert log.contains("%PKI-3-CERTIFICATE_INVALID: Certificate chain validation has failed. "
                        "Certificate has expired")
    assert log.contains(f"authentication failed for {DEVICE}: certificate refused: "
                        "certificate has expired")
    assert DEVICE not in lab.router.capf.certificates


@pytest.mark.parametrize("mode", ["LSC", "MIC"])
async def test_a_revoked_certificate_is_refused(lab, shell, ca, factory, mode):
    issuer = issuer_for(mode, ca, factory)
    revoked_cert, key = issuer.issue(DEVICE)
    entry, cert = await lab_with_two_phones(lab, shell, ca, factory, mode,
                                            revoked=[revoked_cert.serial_number])
    refused = await present(lab, entry, cert, mode, DEVICE, credential(revoked_cert, key))
    assert refused.reason == capf.Reason.INVALID_ELEMENT and not refused.ok, refused
    assert lab.router.log.contains("certificate refused: certificate is revoked")
    # a certificate the CA has not revoked is accepted from the same phone
    good = await present(lab, entry, cert, mode, DEVICE, credential(*issuer.issue(DEVICE)))
    assert good.ok, good


async def test_an_lsc_must_come_from_the_cert_enroll_trustpoint(lab, shell, ca, factory):
    """A MIC presented in LSC mode (and an LSC in MIC mode) is the wrong kind of certificate."""
    entry, cert = await lab_with_two_phones(lab, shell, ca, factory, "LSC")
    mic = credential(*factory.issue(DEVICE))
    refused = await present(lab, entry, cert, "LSC", DEVICE, mic)
    assert refused.reason == capf.Reason.INVALID_ELEMENT
    assert lab.router.log.contains("certificate chain does not lead to the trustpoint CAServer")
    await shell.paste_config("ephone 1\n cert-oper upgrade auth-mode MIC")
    lsc = credential(*ca.issue(DEVICE))
    refused = await present(lab, entry, cert, "MIC", DEVICE, lsc)
    assert refused.reason == capf.Reason.INVALID_ELEMENT
    assert lab.router.log.contains("the MIC's issuer is not a manufacturer root")


async def test_auth_string_enrolment_is_unchanged(lab, shell, ca):
    entry, cert = await start(lab, shell, ca)
    result = await enrol(lab, entry, cert, auth_string="1234")
    assert result.ok and result.lsc is not None
