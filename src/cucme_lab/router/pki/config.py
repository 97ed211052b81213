"""The PKI configuration as typed blocks: trustpoints, certificate servers, certificate chains.

A trustpoint (`crypto pki trustpoint NAME`) and a certificate server (`crypto pki server NAME`)
are `ConfigBlock`s (see `cucme_lab.router.config.model`): the command handlers assign their typed
attributes, each attribute renders its own running-config line, and the CA, enrolment, the
credential lookups and the SCEP client read the attributes.

A certificate chain holds DER certificates, printed as the hex blocks IOS writes (8-digit words,
8 per line, closed by a TAB and `quit`); the CLI fills it from pasted hex, and the PKI code from
enrolled certificates through `set_der`. Trustpoints, chains and certificate servers keep the
order they were created in, as IOS lists them, not the alphabetical order of their names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address
from typing import NamedTuple

from cryptography import x509

from cucme_lab.router.config.model import ConfigBlock, line
from cucme_lab.router.config.section import Section

SERVER_KIND = "crypto pki server"
TRUSTPOINT_KIND = "crypto pki trustpoint"
CHAIN_KIND = "crypto pki certificate chain"


# --- values -------------------------------------------------------------------------------------


class EnrollmentMethod(StrEnum):
    """How a trustpoint gets its certificates (`enrollment url|terminal|selfsigned`)."""

    URL = "url"
    TERMINAL = "terminal"
    SELFSIGNED = "selfsigned"


class Enrollment(NamedTuple):
    """`enrollment url URL`, `enrollment terminal [pem]` or `enrollment selfsigned`."""

    method: EnrollmentMethod
    url: str | None = None
    pem: bool = False

    def __str__(self) -> str:
        if self.method is EnrollmentMethod.URL:
            return f"enrollment url {self.url}"
        if self.method is EnrollmentMethod.TERMINAL:
            return "enrollment terminal" + (" pem" if self.pem else "")
        return "enrollment selfsigned"


class SubjectAddress(NamedTuple):
    """`ip-address A.B.C.D` (put it in the subject) or `ip-address none` (addr None: don't)."""

    addr: IPv4Address | None


class ChallengePassword(NamedTuple):
    """`password [0|7] TEXT`: the SCEP challenge enrolment sends, as typed."""

    text: str
    encryption: str | None = None  # "0", "7", or not typed

    def __str__(self) -> str:
        return "password" + (f" {self.encryption}" if self.encryption else "") + f" {self.text}"


class RevocationMethod(StrEnum):
    CRL = "crl"
    NONE = "none"
    OCSP = "ocsp"


class KeyPair(NamedTuple):
    """`rsakeypair LABEL [SIZE [ENCRYPTION-SIZE]]`: the key pair a trustpoint enrols with."""

    label: str
    size: int | None = None
    encryption_size: int | None = None

    def __str__(self) -> str:
        sizes = [str(n) for n in (self.size, self.encryption_size) if n is not None]
        return " ".join(["rsakeypair", self.label, *sizes])


class DatabaseLevel(StrEnum):
    """`database level`: what the certificate server writes per issued certificate."""

    MINIMUM = "minimum"
    NAMES = "names"
    COMPLETE = "complete"


class GrantMode(StrEnum):
    """How the certificate server answers enrolment requests; `manual` is IOS's default."""

    MANUAL = "manual"  # no `grant` line: requests wait for `crypto pki server NAME grant`
    AUTO = "auto"
    NONE = "none"  # reject every request
    RA_AUTO = "ra-auto"


# --- blocks -------------------------------------------------------------------------------------


class CreationOrder:
    """Mixed into a block listed in the order it was created, whatever its name."""

    def sort_key(self) -> tuple:
        return ()


def _flag(text: str):
    """A line that is there when the attribute is True and absent otherwise (`shutdown`)."""
    return lambda on: text if on else None


@dataclass(eq=False)
class TrustpointSection(CreationOrder, ConfigBlock):
    """`crypto pki trustpoint NAME`."""

    enrollment_mode_ra: bool = line("enrollment mode", _flag("enrollment mode ra"),
                                    default=False)
    enrollment: Enrollment | None = line("enrollment", str)  # None: terminal, as IOS assumes
    # True: `serial-number`; False: `serial-number none`; None: enrolment asks.
    serial_number: bool | None = line(
        "serial-number", lambda on: "serial-number" if on else "serial-number none")
    ip_address: SubjectAddress | None = line(  # None: enrolment asks
        "ip-address", lambda a: f"ip-address {'none' if a.addr is None else a.addr}")
    password: ChallengePassword | None = line("password", str)
    subject_name: str | None = line("subject-name")
    revocation_check: tuple[RevocationMethod, ...] = line(
        "revocation-check", lambda methods: "revocation-check " + " ".join(methods)
        if methods else None, default=())
    rsakeypair: KeyPair | None = line("rsakeypair", str)

    @property
    def name(self) -> str:
        return self.ident[0]

    @property
    def enrollment_url(self) -> str | None:
        """The CA's SCEP URL, when the trustpoint enrols over the network."""
        e = self.enrollment
        return e.url if e is not None and e.method is EnrollmentMethod.URL else None

    @property
    def revocation_methods(self) -> tuple[RevocationMethod, ...]:
        """What validation tries, in order: `revocation-check`, else IOS's default `crl`."""
        return self.revocation_check or (RevocationMethod.CRL,)

    @property
    def key_label(self) -> str:
        """The key pair's label: `rsakeypair`'s, else the trustpoint's own name."""
        return self.rsakeypair.label if self.rsakeypair is not None else self.name


@dataclass(eq=False)
class CertificateServerSection(CreationOrder, ConfigBlock):
    """`crypto pki server NAME`; `started` once `no shutdown` has run (the CA exists)."""

    started: bool = False
    mode_ra: bool = line("mode", _flag("mode ra"), default=False)
    database_level: DatabaseLevel | None = line("database level")
    issuer_name: str | None = line("issuer-name")  # a DN as typed: CN=CA,O=Lab
    grant: GrantMode = line("grant", lambda g: None if g is GrantMode.MANUAL else f"grant {g}",
                            default=GrantMode.MANUAL)
    lifetime_crl: int | None = line("lifetime crl")  # hours
    lifetime_certificate: int | None = line("lifetime certificate")  # days
    lifetime_ca_certificate: int | None = line("lifetime ca-certificate")  # days
    lifetime_enrollment_request: int | None = line("lifetime enrollment-request")  # hours
    database_url: str | None = line("database url")
    shutdown: bool = line("shutdown", _flag("shutdown"), default=False)
    cdp_url: str | None = line("cdp-url")

    @property
    def name(self) -> str:
        return self.ident[0]

    @property
    def level(self) -> DatabaseLevel:
        return self.database_level or DatabaseLevel.MINIMUM

    @property
    def storage_url(self) -> str:
        """Where the database lives: `database url`, IOS's default `nvram:` when unset."""
        return self.database_url or "nvram:"


@dataclass
class ChainCertificate:
    """One `certificate [ca] SERIAL` entry of a chain."""

    serial: str
    ca: bool
    der: bytes

    def certificate(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)


def serial_hex(cert: x509.Certificate) -> str:
    """The serial as IOS names the entry: the DER INTEGER's bytes in hex (`01`, `00F927...`)."""
    n = cert.serial_number
    return n.to_bytes(n.bit_length() // 8 + 1, "big").hex().upper()


def hex_lines(der: bytes, indent: str = "  ") -> Iterator[str]:
    """DER as IOS prints it: 8 hex digits a word, 8 words a line."""
    text = der.hex().upper()
    words = [text[i:i + 8] for i in range(0, len(text), 8)]
    for i in range(0, len(words), 8):
        yield indent + " ".join(words[i:i + 8])


@dataclass
class CertificateChainSection(CreationOrder, Section):
    """`crypto pki certificate chain NAME`: router certificates first, then CA ones."""

    certificates: list[ChainCertificate] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.ident[0]

    def put(self, serial: str, ca: bool, der: bytes) -> None:
        """Add or replace the entry `certificate [ca] serial`."""
        self.remove(serial, ca)
        self.certificates.append(ChainCertificate(serial.upper(), ca, der))

    def remove(self, serial: str, ca: bool) -> bool:
        before = len(self.certificates)
        self.certificates = [c for c in self.certificates
                             if not (c.serial == serial.upper() and c.ca == ca)]
        return len(self.certificates) != before

    def set_der(self, router_certs: Iterable[bytes] = (), ca_certs: Iterable[bytes] = ()
                ) -> None:
        """Replace the chain's content with these DER certificates (enrolment, import)."""
        self.certificates = []
        for ca, ders in ((False, router_certs), (True, ca_certs)):
            for der in ders:
                self.put(serial_hex(x509.load_der_x509_certificate(der)), ca, der)

    def der(self, ca: bool | None = None) -> list[bytes]:
        """The chain's certificates as DER: all, only CA ones (`True`) or only the router's."""
        return [c.der for c in self.ordered() if ca is None or c.ca == ca]

    def ordered(self) -> list[ChainCertificate]:
        return ([c for c in self.certificates if not c.ca]
                + [c for c in self.certificates if c.ca])

    def extra_lines(self) -> Iterator[str]:
        for cert in self.ordered():
            yield f" certificate {'ca ' if cert.ca else ''}{cert.serial}"
            yield from hex_lines(cert.der)
            yield "  \tquit"


# --- lookups ------------------------------------------------------------------------------------


def trustpoints(config: Section) -> list[TrustpointSection]:
    """Every trustpoint, in the order it was created."""
    return [s for s in config.sections(TRUSTPOINT_KIND) if isinstance(s, TrustpointSection)]


def trustpoint(config: Section, name: str) -> TrustpointSection | None:
    sec = config.find(TRUSTPOINT_KIND, (name,))
    return sec if isinstance(sec, TrustpointSection) else None


def certificate_servers(config: Section) -> list[CertificateServerSection]:
    return [s for s in config.sections(SERVER_KIND) if isinstance(s, CertificateServerSection)]


def certificate_server(config: Section, name: str) -> CertificateServerSection | None:
    sec = config.find(SERVER_KIND, (name,))
    return sec if isinstance(sec, CertificateServerSection) else None


def certificate_chain(config: Section, name: str, create: bool = False
                      ) -> CertificateChainSection | None:
    """Trustpoint `name`'s chain; `create` makes an empty one (enrolment, paste, the CA)."""
    sec = config.find(CHAIN_KIND, (name,))
    if sec is None and create:
        sec = config.section(CHAIN_KIND, (name,), f"crypto pki certificate chain {name}",
                             CertificateChainSection)
    return sec if isinstance(sec, CertificateChainSection) else None
