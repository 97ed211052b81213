"""A phone's flash: what survives a reboot (trust list, LSC and its key, MIC, settings).

Each phone keeps a folder of its own. Writes replace files atomically, so a phone switched off in
the middle of installing a certificate keeps the old one or the new one, never half of each.
The temporary of a write holds what the file will (the LSC's private key), so it is readable by
its owner only (0600), and one left by a process killed mid-write is removed when the phone's
storage is next opened (its power-on).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger(__name__)

# `.<name>.<8 random characters>.tmp`, as the router's storage names its own (a phone may not
# import the router's code: docs/architecture.md)
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def write_private(path: Path, data: bytes) -> None:
    """Whole file or nothing, readable by its owner only: written aside (0600), then renamed
    over the old one. Not fsync'd: a simulated phone outlives its own power-cycles
    (processes), not the host's, and a fleet writing hundreds of LSCs waited on the disk more
    than on anything else."""
    try:  # the folder is there but once: no mkdir (two system calls) per write
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise



def remove_temporaries(folder: Path) -> list[Path]:
    """Remove what interrupted writes left in `folder` (not below it)."""
    removed = []
    for path in folder.glob(".*.tmp"):
        if TEMPORARY.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            try:
                path.unlink()
            except OSError as exc:
                log.warning("cannot remove the stale temporary %s: %s", path, exc)
                continue
            removed.append(path)
    return removed


def _pem(cert: x509.Certificate, key: rsa.RSAPrivateKey) -> bytes:
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
            + cert.public_bytes(serialization.Encoding.PEM))


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
        self.removed_temporaries = remove_temporaries(self.folder)
        self._read: dict[str, tuple[tuple[int, int, int], Any]] = {}

    def _stamp(self, name: str) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.folder / name)
        except FileNotFoundError:
            self._read.pop(name, None)
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _cached(self, name: str, parse: Callable[[bytes], Any]) -> Any:
        """A file's parsed content, read and parsed again only when the file changed
        (another inode, size or time: writes replace files). A booting phone asks for its
        CTL and certificates several times; reading and parsing each again cost more than
        its floor's share of TLS."""
        stamp = self._stamp(name)
        if stamp is None:
            return None
        cached = self._read.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        value = parse((self.folder / name).read_bytes())
        self._read[name] = (stamp, value)
        return value

    def _write(self, name: str, data: bytes, value: Any) -> None:
        """Write `name` and keep `value` (what reading it back would give) for the reads."""
        write_private(self.folder / name, data)
        stamp = self._stamp(name)
        if stamp is not None:
            self._read[name] = (stamp, value)

    # trust list ---------------------------------------------------------------------------
    @property
    def ctl(self) -> bytes | None:
        return self._cached("CTLFile.tlv", bytes)

    def install_ctl(self, data: bytes) -> None:
        self._write("CTLFile.tlv", data, bytes(data))

    def erase_ctl(self) -> None:
        (self.folder / "CTLFile.tlv").unlink(missing_ok=True)

    # certificates ---------------------------------------------------------------------------
    @property
    def lsc(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
        return self._cached("lsc.pem", _parse_identity)

    def install_lsc(self, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        self._write("lsc.pem", _pem(cert, key), (cert, key))

    def delete_lsc(self) -> None:
        (self.folder / "lsc.pem").unlink(missing_ok=True)

    @property
    def mic(self) -> tuple[x509.Certificate, rsa.RSAPrivateKey] | None:
        return self._cached("mic.pem", _parse_identity)

    def install_mic(self, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        self._write("mic.pem", _pem(cert, key), (cert, key))

    # settings ---------------------------------------------------------------------------------
    def settings(self) -> dict:
        path = self.folder / "settings.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def save_settings(self, values: dict) -> None:
        write_private(self.folder / "settings.json", json.dumps(values, indent=1).encode())

    def factory_reset(self) -> None:
        """What the phone's factory reset erases: trust lists (CTL, ITL), LSC, settings (the
        MIC stays: it is the manufacturer's)."""
        for name in ("CTLFile.tlv", "ITLFile.tlv", "lsc.pem", "settings.json"):
            (self.folder / name).unlink(missing_ok=True)
