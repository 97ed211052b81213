"""A phone's flash: what survives a reboot (trust list, LSC and its key, MIC, settings).

Each phone keeps a folder of its own. Writes replace files atomically, so a phone switched off in
the middle of installing a certificate keeps the old one or the new one, never half of each.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _write(path: Path, data: bytes) -> None:
    """Whole file or nothing: written aside, then renamed over the old one. Not fsync'd: a
    simulated phone outlives its own power-cycles (processes), not the host's, and a fleet
    writing hundreds of LSCs waited on the disk more than on anything else."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _pem(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bytes:
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
            + cert.public_bytes(serialization.Encoding.PEM))


def _load(path: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
    return _parse_identity(path.read_bytes()) if path.exists() else None


@functools.lru_cache(maxsize=4096)
def _parse_identity(data: bytes) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
    """Parsed once per distinct file content. The key is one this phone made and wrote
    itself, so OpenSSL's RSA consistency check (milliseconds a key) is skipped."""
    key = serialization.load_pem_private_key(data, None, unsafe_skip_rsa_key_validation=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        return None
    return x509.load_pem_x509_certificate(data), key


class PhoneStorage:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    # trust list ---------------------------------------------------------------------------
    @property
    def ctl(self) -> bytes | None:
        path = self.folder / "CTLFile.tlv"
        return path.read_bytes() if path.exists() else None

    def install_ctl(self, data: bytes) -> None:
        _write(self.folder / "CTLFile.tlv", data)

    def erase_ctl(self) -> None:
        (self.folder / "CTLFile.tlv").unlink(missing_ok=True)

    # certificates ---------------------------------------------------------------------------
    @property
    def lsc(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
        return _load(self.folder / "lsc.pem")

    def install_lsc(self, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        _write(self.folder / "lsc.pem", _pem(cert, key))

    def delete_lsc(self) -> None:
        (self.folder / "lsc.pem").unlink(missing_ok=True)

    @property
    def mic(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
        return _load(self.folder / "mic.pem")

    def install_mic(self, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        _write(self.folder / "mic.pem", _pem(cert, key))

    # settings ---------------------------------------------------------------------------------
    def settings(self) -> dict:
        path = self.folder / "settings.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def save_settings(self, values: dict) -> None:
        _write(self.folder / "settings.json", json.dumps(values, indent=1).encode())

    def factory_reset(self) -> None:
        """What the phone's factory reset erases: trust list, LSC, settings (the MIC stays)."""
        for name in ("CTLFile.tlv", "lsc.pem", "settings.json"):
            (self.folder / name).unlink(missing_ok=True)
