"""Configuration sections of the PKI that render more than setting lines.

A certificate chain holds DER certificates, printed as the hex blocks IOS writes (8-digit words,
8 per line, closed by a TAB and `quit`); the CLI fills it from pasted hex, and the later PKI code
from enrolled certificates through `set_der`. Trustpoints, chains and certificate servers keep
the order they were created in, as IOS lists them, not the alphabetical order of their names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from cryptography import x509

from cucme_lab.router.config.section import Section

SERVER_KIND = "crypto pki server"
TRUSTPOINT_KIND = "crypto pki trustpoint"
CHAIN_KIND = "crypto pki certificate chain"


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


class CreationOrder(Section):
    """A block listed in the order it was created, whatever its name."""

    def sort_key(self) -> tuple:
        return ()


@dataclass
class CertificateServerSection(CreationOrder):
    """`crypto pki server NAME`; `started` once `no shutdown` has run (the CA exists)."""

    started: bool = False

    @property
    def name(self) -> str:
        return self.ident[0]


@dataclass
class TrustpointSection(CreationOrder):
    """`crypto pki trustpoint NAME`."""

    @property
    def name(self) -> str:
        return self.ident[0]


@dataclass
class CertificateChainSection(CreationOrder):
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
