"""Issuing a phone's locally significant certificate (LSC) with the IOS CA.

The CA is the one `cert-enroll-trustpoint` names: its CA certificate sits in that trustpoint's
chain and its key pair in the key store. The certificate follows the LSC profile of the spec
(section 4.8): CN=<device name> plus the CA's O/OU/L/ST/C, basicConstraints CA:FALSE,
digitalSignature+keyEncipherment, serverAuth+clientAuth+ipsecEndSystem, SAN URI:<device>,
SHA-256. When the router runs a certificate server of that name, the certificate is issued by
it (its serial counter and database); otherwise it cannot be issued.
"""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from cucme_lab.router.pki.ca import created_server
from cucme_lab.router.pki.credentials import ca_certificates, key_label, trustpoint
from cucme_lab.router.router import Router

IPSEC_END_SYSTEM = ObjectIdentifier("1.3.6.1.5.5.7.3.5")
COPIED_ATTRIBUTES = (NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME,
                     NameOID.LOCALITY_NAME, NameOID.STATE_OR_PROVINCE_NAME, NameOID.COUNTRY_NAME)
LSC_DAYS = 365


class IssueError(RuntimeError):
    """The CA cannot issue: the message says why (for `debug capf-server` and the syslog)."""


def lsc_builder(public_key: rsa.RSAPublicKey, device: str, ca_cert: x509.Certificate,
                serial: int, now: datetime.datetime, days: int = LSC_DAYS
                ) -> x509.CertificateBuilder:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, device)]
    for oid in COPIED_ATTRIBUTES:
        attrs += ca_cert.subject.get_attributes_for_oid(oid)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name(attrs))
            .issuer_name(ca_cert.subject)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_encipherment=True, content_commitment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH,
                                                  IPSEC_END_SYSTEM]), critical=False)
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(device)]), critical=False))


def issue_lsc(router: Router, ca_trustpoint: str | None, public_key: object,
              device: str) -> x509.Certificate:
    """Have the IOS CA of `ca_trustpoint` sign an LSC for `device`'s public key."""
    if not ca_trustpoint or trustpoint(router, ca_trustpoint) is None:
        raise IssueError(f"cert-enroll-trustpoint {ca_trustpoint} does not exist")
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise IssueError("the phone's public key is not an RSA key")
    server = created_server(router, ca_trustpoint)
    if server is not None:  # the router's own CA: its serial counter and database
        if not server.running:
            raise IssueError(f"certificate server {ca_trustpoint} is shut down")
        return server.issue_built(
            lambda ca_cert, serial, now: lsc_builder(public_key, device, ca_cert, serial, now))
    cas = ca_certificates(router, ca_trustpoint)
    key = router.keystore.signing(key_label(router, ca_trustpoint))
    if not cas or key is None:
        raise IssueError(f"trustpoint {ca_trustpoint} is not a certificate authority")
    ca_cert = cas[0]
    if key.private_key.public_key().public_numbers() != ca_cert.public_key().public_numbers():
        # the trustpoint trusts a CA but is not one: it holds no key for the CA certificate
        raise IssueError(f"trustpoint {ca_trustpoint} is not a certificate authority")
    now = router.clock.now_utc()
    builder = lsc_builder(public_key, device, ca_cert, x509.random_serial_number(), now)
    return builder.sign(key.private_key, hashes.SHA256())


def recorded_lscs(router: Router, ca_trustpoint: str | None) -> dict[str, x509.Certificate]:
    """Device name -> the newest LSC the router's CA of `ca_trustpoint` holds in its database
    that is still valid (not expired, not revoked). Empty without such a CA, or when its
    `database level` keeps no whole certificates."""
    server = created_server(router, ca_trustpoint) if ca_trustpoint else None
    if server is None:
        return {}
    revoked = server.load_db().get("revoked", {})
    now = router.clock.now_utc()
    found: dict[str, x509.Certificate] = {}
    for cert in server.issued_certificates():  # by serial: the newest last
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not names or str(cert.serial_number) in revoked:
            continue
        if cert.not_valid_after_utc <= now:
            continue
        found[str(names[0].value)] = cert
    return found
