"""The router's RSA key pairs: what `crypto key generate rsa` makes and trustpoints use.

IOS keeps key pairs outside the running configuration (NVRAM private-config), so they live here
rather than in the config tree. The keys are real (`cryptography`), because later steps sign
CTL files and certificates with them and phones verify those signatures.
`save_pem`/`load_pem` give the private-config text; wiring them to `write memory` and boot is
the router's job.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MIN_MODULUS = 360
MAX_MODULUS = 4096
USAGES = ("general", "signature", "encryption")
USAGE_TEXT = {"general": "General Purpose Key", "signature": "Signature Key",
              "encryption": "Encryption Key"}
_META = "# rsa-key "


@dataclass
class RsaKey:
    """One key pair with what `show crypto key mypubkey rsa` reports about it."""

    label: str
    private_key: rsa.RSAPrivateKey
    usage: str = "general"
    exportable: bool = False
    generated: datetime = field(default_factory=lambda: datetime.now(UTC))
    storage: str = "not specified"

    @property
    def bits(self) -> int:
        return self.private_key.key_size

    def public_der(self) -> bytes:
        """SubjectPublicKeyInfo DER, the `Key Data:` IOS prints."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def generate_private_key(bits: int) -> rsa.RSAPrivateKey:
    """A fresh RSA key. `cryptography` refuses moduli under 1024 bits, which IOS allows
    (360-1023): those are made by hand from two primes so the small sizes still work."""
    if bits >= 1024:
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _small_key(bits)


def _small_key(bits: int) -> rsa.RSAPrivateKey:
    e = 65537
    while True:
        p = _prime(bits - bits // 2)
        q = _prime(bits // 2)
        n = p * q
        if p == q or n.bit_length() != bits:
            continue
        phi = (p - 1) * (q - 1)
        if phi % e == 0:
            continue
        d = pow(e, -1, phi)
        numbers = rsa.RSAPrivateNumbers(
            p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, n))
        return numbers.private_key()


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _probably_prime(candidate):
            return candidate


def _probably_prime(n: int, rounds: int = 32) -> bool:
    if n < 4:
        return n in (2, 3)
    for small in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % small == 0:
            return n == small
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


@dataclass
class KeyStore:
    """Key pairs by label; a usage-keys label holds a signature and an encryption pair."""

    keys: list[RsaKey] = field(default_factory=list)

    def generate(self, label: str, bits: int, usage: str = "general",
                 exportable: bool = False, when: datetime | None = None) -> RsaKey:
        """Make a key pair and store it, replacing any pair of that label and usage."""
        if not MIN_MODULUS <= bits <= MAX_MODULUS:
            raise ValueError(f"modulus {bits} outside {MIN_MODULUS}-{MAX_MODULUS}")
        if usage not in USAGES:
            raise ValueError(f"unknown key usage {usage!r}")
        key = RsaKey(label, generate_private_key(bits), usage, exportable,
                     when or datetime.now(UTC))
        self.add(key)
        return key

    def add(self, key: RsaKey) -> None:
        self.keys = [k for k in self.keys if not (k.label == key.label and k.usage == key.usage)]
        if key.usage == "general":
            self.keys = [k for k in self.keys if k.label != key.label]
        else:
            self.keys = [k for k in self.keys
                         if not (k.label == key.label and k.usage == "general")]
        self.keys.append(key)

    def get(self, label: str, usage: str | None = None) -> RsaKey | None:
        """The pair of `label` (the general one, or the given usage)."""
        for k in self.keys:
            if k.label == label and (usage is None or k.usage == usage):
                return k
        return None

    def signing(self, label: str) -> RsaKey | None:
        """The pair of `label` that signs: the general one, else the signature one of usage
        keys (never the encryption one)."""
        return self.get(label, "general") or self.get(label, "signature")

    def with_label(self, label: str) -> list[RsaKey]:
        return [k for k in self.keys if k.label == label]

    def has(self, label: str) -> bool:
        return any(k.label == label for k in self.keys)

    def labels(self) -> list[str]:
        seen: list[str] = []
        for k in self.keys:
            if k.label not in seen:
                seen.append(k.label)
        return seen

    def remove(self, label: str | None = None) -> int:
        """Drop the pairs of `label`, or every pair; returns how many went."""
        before = len(self.keys)
        self.keys = [] if label is None else [k for k in self.keys if k.label != label]
        return before - len(self.keys)


def save_pem(store: KeyStore) -> str:
    """The key store as text for NVRAM private-config: a metadata line, then PKCS#8 PEM."""
    parts: list[str] = []
    for k in store.keys:
        meta = {"label": k.label, "usage": k.usage, "exportable": k.exportable,
                "generated": k.generated.astimezone(UTC).isoformat()}
        pem = k.private_key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode("ascii")
        parts.append(_META + json.dumps(meta, sort_keys=True) + "\n" + pem)
    return "".join(parts)


def load_pem(text: str) -> KeyStore:
    """Read what `save_pem` wrote; keys read back from NVRAM report `private-config` storage."""
    store = KeyStore()
    meta: dict | None = None
    block: list[str] = []
    for line in text.splitlines():
        if line.startswith(_META):
            meta = json.loads(line[len(_META):])
            block = []
            continue
        if meta is None:
            continue
        block.append(line)
        if line.startswith("-----END"):
            key = serialization.load_pem_private_key("\n".join(block).encode("ascii"), None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"key {meta['label']!r} is not an RSA key")
            store.keys.append(RsaKey(meta["label"], key, meta["usage"],
                                     bool(meta["exportable"]),
                                     datetime.fromisoformat(meta["generated"]),
                                     "private-config"))
            meta = None
    return store


def keystore_of(router: object) -> KeyStore:
    """The router's key store (kept in NVRAM private-config by `write memory`)."""
    return router.keystore  # type: ignore[attr-defined]
