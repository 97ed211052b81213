"""The simulated manufacturing CA that puts MICs into phones at the factory.

Its root certificate is what an admin imports into a trustpoint (`enrollment terminal`, then
`crypto pki authenticate` with the PEM pasted) so that CAPF can authenticate phones by MIC. The
CA is made once per lab folder and kept there, so phones and the router agree across restarts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cucme_lab.phones.storage import write_private

ROOT_NAME = x509.Name([
    x509.NameAttribute(NameOID.COMMON_NAME, "Cisco Manufacturing CA"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cisco Systems"),
])


@dataclass
class ManufacturingCA:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def load_or_create(cls, folder: Path) -> ManufacturingCA:
        path = Path(folder) / "manufacturing-ca.pem"
        if path.exists():
            data = path.read_bytes()
            key = serialization.load_pem_private_key(data, None)
            assert isinstance(key, rsa.RSAPrivateKey)
            return cls(key, x509.load_pem_x509_certificate(data))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        start = datetime.datetime(2005, 1, 1, tzinfo=datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(ROOT_NAME).issuer_name(ROOT_NAME)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=36500))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                .sign(key, hashes.SHA256()))
        # its private key: readable by the owner only, and never half written
        write_private(path, key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
                      + cert.public_bytes(serialization.Encoding.PEM))
        return cls(key, cert)

    def root_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def issue_mic(self, device_name: str, key: rsa.RSAPrivateKey) -> x509.Certificate:
        """A MIC as phones carry it: CN=<model-specific name>, valid from manufacture."""
        start = datetime.datetime(2008, 1, 1, tzinfo=datetime.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_name),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cisco Systems")])
        return (x509.CertificateBuilder().subject_name(name).issuer_name(ROOT_NAME)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=7300))
                .sign(self.key, hashes.SHA256()))
