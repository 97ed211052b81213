"""The IOS certificate server (`crypto pki server NAME`): a real CA with its database on storage.

State, and where it lives (as on IOS):
- the CA key pair: the key store (NVRAM private-config), label = the CA trustpoint's
  `rsakeypair` label or the CA's name;
- the CA certificate: `crypto pki certificate chain NAME` (`certificate ca 01`) in the config;
- the database, as real files under `database url` (default `nvram:`): `NAME.ser` (last serial,
  CRL number, revoked serials; JSON here, a binary file on IOS), `NAME.crl` (the DER CRL), and per
  `database level`: `<serial>.cnm` (names: subject and expiry) or `<serial>.cer` (complete: DER).
  `NAME.ser` is written (atomically) before a certificate leaves the CA, so a serial number is
  never issued twice, whatever reloads or crashes happen;
- enrolment requests waiting for `grant`: router memory only (lost at reload, as on IOS),
  at most REQUEST_DATABASE_SIZE of them: the oldest decided one makes room, and when all are
  still pending a new one is refused (SCEP FAILURE badRequest and a log line), so a client
  sending CSRs without end cannot grow the router's memory without end.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cucme_lab.router.config.interfaces import interfaces
from cucme_lab.router.pki.config import (
    CertificateChainSection,
    CertificateServerSection,
    DatabaseLevel,
    GrantMode,
    certificate_chain,
    certificate_server,
    certificate_servers,
)
from cucme_lab.router.pki.credentials import key_label, trustpoint
from cucme_lab.router.pki.state import CaRuntime, Request
from cucme_lab.router.router import Router
from cucme_lab.router.storage import atomic_write

SIGNATURE_HASH = hashes.SHA256  # IOS 12.4 signs with SHA-1/MD5; SHA-256 keeps OpenSSL 3 happy
DEFAULT_CERT_DAYS = 365
DEFAULT_CA_DAYS = 1095
DEFAULT_CRL_HOURS = 168
SERIAL_BLOCK = 64  # serials reserved on disk at once: one fsync per 64 certificates
REQUEST_DATABASE_SIZE = 1000  # requests kept in memory [U]: no IOS figure found; a bound
BACKDATE = timedelta(minutes=0)

# Attribute types IOS puts in router subject names, with the names `show` prints for them.
UNSTRUCTURED_NAME = x509.ObjectIdentifier("1.2.840.113549.1.9.2")  # hostname=
UNSTRUCTURED_ADDRESS = x509.ObjectIdentifier("1.2.840.113549.1.9.8")  # ipaddress=
DN_NAMES = {NameOID.COMMON_NAME: "cn", NameOID.ORGANIZATION_NAME: "o",
            NameOID.ORGANIZATIONAL_UNIT_NAME: "ou", NameOID.COUNTRY_NAME: "c",
            NameOID.STATE_OR_PROVINCE_NAME: "st", NameOID.LOCALITY_NAME: "l",
            NameOID.SERIAL_NUMBER: "serialNumber", UNSTRUCTURED_NAME: "hostname",
            UNSTRUCTURED_ADDRESS: "ipaddress", NameOID.EMAIL_ADDRESS: "ea"}


# What a caller with its own certificate profile gives `issue_built`: (CA certificate, serial,
# now) -> the certificate to sign.
CertificateBuild = Callable[[x509.Certificate, int, datetime], x509.CertificateBuilder]


class CaError(Exception):
    """The CA cannot do what was asked; the message is for a log or an error line."""


def dn_text(name: x509.Name, joiner: str = ",") -> str:
    """A DN as IOS prints it: `cn=LABCA`, `serialNumber=FTX1+hostname=CME1.lab.local`."""
    parts = []
    for rdn in name.rdns:
        parts.append("+".join(f"{DN_NAMES.get(a.oid, a.oid.dotted_string)}={a.value}"
                              for a in rdn))
    return joiner.join(parts)


def fingerprint(data: bytes, algorithm: str = "md5") -> str:
    """`1A2B3C4D 5E6F7081 ...`: IOS's grouping of a digest in 8-digit words."""
    text = hashlib.new(algorithm, data).hexdigest().upper()
    return " ".join(text[i:i + 8] for i in range(0, len(text), 8))


def servers(router: Router) -> list[CertificateServerSection]:
    return certificate_servers(router.config)


def server_section(router: Router, name: str) -> CertificateServerSection | None:
    return certificate_server(router.config, name)


class CertificateServer:
    """One `crypto pki server NAME`, read from the configuration and its database each time."""

    def __init__(self, router: Router, name: str) -> None:
        self.router = router
        self.name = name

    # --- configuration -------------------------------------------------------------------
    @property
    def section(self) -> CertificateServerSection:
        sec = server_section(self.router, self.name)
        if sec is None:
            raise CaError(f"certificate server {self.name} is not configured")
        return sec

    @property
    def created(self) -> bool:
        """`no shutdown` has run once: the CA certificate exists."""
        sec = server_section(self.router, self.name)
        return sec is not None and sec.started and self.ca_certificate() is not None

    @property
    def running(self) -> bool:
        sec = server_section(self.router, self.name)
        return sec is not None and self.created and not sec.shutdown

    @property
    def grant_mode(self) -> GrantMode:
        """auto, manual, none (reject all) or ra-auto."""
        return self.section.grant

    @property
    def issuer_name(self) -> x509.Name:
        dn = self.section.issuer_name
        if dn:
            try:
                return x509.Name.from_rfc4514_string(dn.strip())
            except ValueError:
                pass
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.name)])

    # --- storage -------------------------------------------------------------------------
    def database_dir(self) -> Path:
        """Where `database url` points: `nvram:` (default) or a flash folder."""
        url = self.section.storage_url
        storage = self.router.storage
        m = re.fullmatch(r"(?i)(flash\d?|disk\d?|slot\d?|nvram):/?(.*)", url.strip())
        if m is None or m.group(1).lower() == "nvram":
            # Other file systems (tftp:, ftp:) are kept in NVRAM here: the lab has no remote.
            return storage.nvram
        sub = m.group(2).strip("/")
        return storage.flash_path(sub) if sub else storage.flash

    def _path(self, filename: str) -> Path:
        return self.database_dir() / filename

    def load_db(self) -> dict:
        path = self._path(f"{self.name}.ser")
        if path.exists():
            try:
                data = json.loads(path.read_text())
                if isinstance(data, dict) and isinstance(data.get("serial"), int):
                    data.setdefault("crl_number", 0)
                    data.setdefault("revoked", {})
                    return data
            except (OSError, ValueError):
                pass
        return {"serial": 0, "crl_number": 0, "revoked": {}}

    def save_db(self, db: dict) -> None:
        atomic_write(self._path(f"{self.name}.ser"),
                     (json.dumps(db, sort_keys=True, indent=1) + "\n").encode())

    def last_serial(self) -> int:
        """The highest serial spent (after a reload: the top of the last reserved block)."""
        return self._serials().next_serial - 1

    def _serials(self) -> CaRuntime:
        runtime = self.requests()
        path = str(self._path(f"{self.name}.ser"))
        if runtime.serial_file != path:  # first use since boot, or `database url` moved
            db = self.load_db()
            top = max(int(db["serial"]), int(db.get("reserved", 0)))
            runtime.serial_file, runtime.next_serial, runtime.reserved_upto = path, top + 1, top
        return runtime

    # --- keys and certificates -----------------------------------------------------------
    def key(self) -> rsa.RSAPrivateKey:
        k = self.router.keystore.signing(key_label(self.router, self.name))
        if k is None:
            raise CaError(f"the key pair of certificate server {self.name} is missing")
        return k.private_key

    def chain(self, create: bool = False) -> CertificateChainSection | None:
        return certificate_chain(self.router.config, self.name, create)

    def ca_certificate(self) -> x509.Certificate | None:
        ch = self.chain()
        ders = ch.der(ca=True) if ch is not None else []
        return x509.load_der_x509_certificate(ders[0]) if ders else None

    def require_ca(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
        cert = self.ca_certificate()
        if cert is None:
            raise CaError(f"certificate server {self.name} has no CA certificate")
        return cert, self.key()

    def now(self) -> datetime:
        return self.router.clock.now_utc().replace(microsecond=0)

    def create(self) -> x509.Certificate:
        """The first `no shutdown`: self-signed CA certificate (serial 1), database, CRL."""
        key = self.key()
        self.requests().serial_file = None  # read the database afresh: it may be new
        serial = self.allocate_serial()
        now = self.now()
        days = self.section.lifetime_ca_certificate or DEFAULT_CA_DAYS
        name = self.issuer_name
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(serial)
                .not_valid_before(now).not_valid_after(now + timedelta(days=days))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                             False), critical=True)
                .add_extension(ski, critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                    ski), critical=False)
                .sign(key, SIGNATURE_HASH()))
        from cryptography.hazmat.primitives.serialization import Encoding

        self.chain(create=True).set_der(ca_certs=[cert.public_bytes(Encoding.DER)])
        self._store_issued(cert)
        self.publish_crl()
        return cert

    def crl_url(self) -> str:
        """The CRL distribution point written into issued certificates.

        `cdp-url` if configured; else the host of the CA trustpoint's `enrollment url`, else the
        router's first interface address, with IOS's SCEP GetCRL path."""
        cdp = self.section.cdp_url
        if cdp:
            return cdp
        tp = trustpoint(self.router, self.name)
        url = tp.enrollment_url if tp is not None else None
        host = None
        if url:
            m = re.match(r"(?i)https?://([^/]+)", str(url))
            host = m.group(1) if m else None
        if host is None:
            host = next(iter(interface_addresses(self.router)), "127.0.0.1")
        return f"http://{host}/cgi-bin/pkiclient.exe?operation=GetCRL"

    def allocate_serial(self) -> int:
        """The next serial number, spent before any certificate carries it.

        Group commit: serials are reserved on disk SERIAL_BLOCK at a time (one fsync a block,
        not one a certificate), and a CA that boots starts above the last reserved block. A
        crash or reload may skip serials; no serial is ever given twice.
        """
        runtime = self._serials()
        if runtime.next_serial > runtime.reserved_upto:
            db = self.load_db()
            db["serial"] = runtime.next_serial - 1
            db["reserved"] = runtime.next_serial + SERIAL_BLOCK - 1
            self.save_db(db)
            runtime.reserved_upto = db["reserved"]
            runtime.release = self._release_reservation
        serial = runtime.next_serial
        runtime.next_serial += 1
        return serial

    def _release_reservation(self) -> None:
        runtime = self.requests()
        try:
            if runtime.serial_file != str(self._path(f"{self.name}.ser")):
                return
        except CaError:  # no longer configured: its block stays reserved (skipped, not reused)
            return
        db = self.load_db()
        db["serial"] = db["reserved"] = runtime.next_serial - 1
        self.save_db(db)
        runtime.reserved_upto, runtime.release = runtime.next_serial - 1, None

    def issue(self, csr: x509.CertificateSigningRequest) -> x509.Certificate:
        """Sign `csr`: the next serial, the CA's lifetimes, the CRL distribution point."""
        ca_cert, key = self.require_ca()
        serial = self.allocate_serial()
        now = self.now()
        days = self.section.lifetime_certificate or DEFAULT_CERT_DAYS
        not_after = min(now + timedelta(days=days), ca_cert.not_valid_after_utc)
        builder = (x509.CertificateBuilder().subject_name(csr.subject)
                   .issuer_name(ca_cert.subject).public_key(csr.public_key())
                   .serial_number(serial).not_valid_before(now - BACKDATE)
                   .not_valid_after(not_after)
                   .add_extension(x509.KeyUsage(True, False, True, False, False, False, False,
                                                False, False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       key.public_key()), critical=False)
                   .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                       [x509.UniformResourceIdentifier(self.crl_url())], None, None, None)]),
                       critical=False))
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            builder = builder.add_extension(san.value, critical=False)
        except x509.ExtensionNotFound:
            pass
        cert = builder.sign(key, SIGNATURE_HASH())
        self._store_issued(cert)
        return cert

    def issue_built(self, build: CertificateBuild) -> x509.Certificate:
        """Sign what `build(ca_certificate, serial, now)` describes with the CA's key.

        For profiles the CA does not know (CAPF's LSCs): the caller brings the builder, the CA
        brings its serial counter (spent before signing), its key and its database.
        """
        ca_cert, key = self.require_ca()
        serial = self.allocate_serial()
        cert = build(ca_cert, serial, self.now()).sign(key, SIGNATURE_HASH())
        self._store_issued(cert)
        return cert

    def _store_issued(self, cert: x509.Certificate) -> None:
        from cryptography.hazmat.primitives.serialization import Encoding

        level = self.section.level
        serial = f"{cert.serial_number:X}"
        if level is DatabaseLevel.COMPLETE:
            atomic_write(self._path(f"{serial}.cer"), cert.public_bytes(Encoding.DER),
                         durable=False)
        elif level is DatabaseLevel.NAMES:
            text = (f"subjectname_str = {dn_text(cert.subject)}\n"
                    f"expiration = {self.router.clock.cert_stamp(cert.not_valid_after_utc)}\n")
            atomic_write(self._path(f"{serial}.cnm"), text.encode(), durable=False)

    def issued_certificates(self) -> list[x509.Certificate]:
        """What the database holds (only `complete` keeps whole certificates)."""
        out = []
        for path in sorted(self.database_dir().glob("*.cer")):
            try:
                out.append(x509.load_der_x509_certificate(path.read_bytes()))
            except ValueError:
                continue
        ca = self.ca_certificate()
        return sorted((c for c in out if ca is None or c.issuer == ca.subject),
                      key=lambda c: c.serial_number)

    # --- revocation ----------------------------------------------------------------------
    def revoke(self, serial: int) -> None:
        if serial < 1 or serial > self.last_serial():
            raise CaError(f"serial {serial:X} was not issued by {self.name}")
        db = self.load_db()
        if str(serial) in db["revoked"]:
            raise CaError(f"serial {serial:X} is already revoked")
        db["revoked"][str(serial)] = self.now().isoformat()
        self.save_db(db)
        self.publish_crl()

    def publish_crl(self) -> x509.CertificateRevocationList:
        ca_cert, key = self.require_ca()
        db = self.load_db()
        db["crl_number"] = int(db["crl_number"]) + 1
        self.save_db(db)
        now = self.now()
        hours = self.section.lifetime_crl or DEFAULT_CRL_HOURS
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
                   .last_update(now).next_update(now + timedelta(hours=hours))
                   .add_extension(x509.CRLNumber(db["crl_number"]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       key.public_key()), critical=False))
        for serial, when in sorted(db["revoked"].items(), key=lambda kv: int(kv[0])):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(int(serial))
                .revocation_date(datetime.fromisoformat(when)).build())
        crl = builder.sign(key, SIGNATURE_HASH())
        from cryptography.hazmat.primitives.serialization import Encoding

        atomic_write(self._path(f"{self.name}.crl"), crl.public_bytes(Encoding.DER))
        # this router's clients see the new CRL at once
        self.router.pki_runtime.crl_cache.clear()
        return crl

    def crl(self) -> x509.CertificateRevocationList:
        """The current CRL; a new one is published when the stored one has expired."""
        path = self._path(f"{self.name}.crl")
        if path.exists():
            try:
                crl = x509.load_der_x509_crl(path.read_bytes())
                if crl.next_update_utc is None or crl.next_update_utc > self.now():
                    return crl
            except ValueError:
                pass
        return self.publish_crl()

    # --- the request database ------------------------------------------------------------
    def requests(self) -> CaRuntime:
        return self.router.pki_runtime.cas.setdefault(self.name, CaRuntime())

    def find_request(self, transaction_id: str) -> Request | None:
        return next((r for r in self.requests().requests
                     if r.transaction_id == transaction_id), None)

    def submit(self, csr: x509.CertificateSigningRequest, transaction_id: str,
               requester: x509.Certificate, cipher: str, digest: str) -> Request:
        """A new request, decided at once by the granting mode (auto, none) or left pending."""
        db = self.requests()
        if len(db.requests) >= REQUEST_DATABASE_SIZE:
            decided = next((r for r in db.requests if r.state != "pending"), None)
            if decided is None:
                raise CaError(f"the enrollment request database is full ({len(db.requests)} "
                              "requests pending)")
            db.requests.remove(decided)
        req = Request(db.next_id, transaction_id, csr, requester, cipher, digest,
                      received=self.now())
        db.next_id += 1
        db.requests.append(req)
        mode = self.grant_mode
        if mode is GrantMode.AUTO:
            self.grant(req)
        elif mode is GrantMode.NONE:
            req.state = "rejected"
        return req

    def grant(self, req: Request) -> None:
        if req.state != "pending":
            return
        req.certificate = self.issue(req.csr)
        req.state = "granted"
        self._changed()

    def reject(self, req: Request) -> None:
        if req.state == "pending":
            req.state = "rejected"
            self._changed()

    def _changed(self) -> None:
        for listener in list(self.router.pki_runtime.listeners):
            listener()


def interface_addresses(router: Router) -> list[str]:
    """The router's configured interface addresses (up interfaces), in interface order."""
    return [str(sec.up_address) for sec in interfaces(router.config)
            if sec.up_address is not None]


def ca_for_request(router: Router, message: str | None = None) -> CertificateServer | None:
    """The CA a SCEP request is for: the one named by `message`, else the only one created."""
    created = [CertificateServer(router, s.name) for s in servers(router)]
    created = [c for c in created if c.created]
    if message:
        named = [c for c in created if c.name.lower() == message.lower()]
        if named:
            return named[0]
    return created[0] if created else None


def expires(cert: x509.Certificate) -> datetime:
    return cert.not_valid_after_utc.astimezone(UTC)


def created_server(router: Router, name: str) -> CertificateServer | None:
    """The certificate server `name` if the router runs one whose CA certificate exists."""
    if server_section(router, name) is None:
        return None
    server = CertificateServer(router, name)
    return server if server.created else None
