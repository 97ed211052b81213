"""Cisco IOS password storage formats: types 0, 5, 7, 8 and 9.

The emulated router must read and write configurations that a real IOS device
would accept, so these are the genuine algorithms (not look-alikes): a config
exported from the lab can be pasted into real hardware and vice versa, and
training exercises such as "decode the type 7 password" or "crack the type 5
secret" behave as they would in the field.

Only the standard library is used so the module stays importable everywhere.

* type 0 - clear text.
* type 7 - "service password-encryption": a reversible XOR (Vigenere-like)
  obfuscation with a fixed, publicly known key.  CME's "type 1" passwords
  (e.g. ``cert-enroll-trustpoint ... password 1 ...``) use the same encoding.
* type 5 - MD5-crypt (``$1$salt$hash``), IOS generates 4-character salts.
* type 8 - PBKDF2-HMAC-SHA256, 20000 iterations, 14-character salt.
* type 9 - scrypt, N=16384, r=1, p=1, 14-character salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "CISCO64_ALPHABET",
    "INVALID_SECRET_LINES",
    "SUPPORTED_TYPES",
    "TYPE7_KEY",
    "TYPE8_ITERATIONS",
    "TYPE9_N",
    "TYPE9_P",
    "TYPE9_R",
    "EncryptedSecret",
    "InvalidEncryptedSecretError",
    "encrypt_secret",
    "invalid_secret_lines",
    "is_valid_encrypted",
    "parse_encrypted",
    "type5_hash",
    "type5_verify",
    "type7_decode",
    "type7_encode",
    "type7_verify",
    "type8_hash",
    "type8_verify",
    "type9_hash",
    "type9_verify",
    "verify_secret",
]

#: The crypt(3)-style base64 alphabet Cisco uses for types 4, 5, 8 and 9.
CISCO64_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STD64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_CISCO64 = str.maketrans(_STD64_ALPHABET, CISCO64_ALPHABET)
_C64 = r"[./0-9A-Za-z]"

#: The fixed XOR key of type 7 (publicly known since the 1990s).
TYPE7_KEY = b"dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"
#: IOS only ever emits type 7 seeds 00-15, and the decoder here accepts no others.
_TYPE7_MAX_SEED = 15
_TYPE7_RE = re.compile(r"(?P<seed>[0-9]{2})(?P<body>(?:[0-9A-Fa-f]{2})+)")

_TYPE5_MAGIC = "$1$"
_TYPE5_SALT_LEN = 4  # what IOS generates; md5crypt itself allows up to 8
_MD5CRYPT_MAX_SALT = 8
_TYPE5_RE = re.compile(r"\$1\$(?P<salt>" + _C64 + r"{1,8})\$(?P<digest>" + _C64 + r"{22})")

TYPE8_ITERATIONS = 20000
TYPE9_N = 16384
TYPE9_R = 1
TYPE9_P = 1
_SCRYPT_SALT_LEN = 14  # both type 8 and type 9
_DK_LEN = 32  # 32 bytes -> 43 base64 characters, no padding
_TYPE89_RE = re.compile(
    r"\$(?P<type>[89])\$(?P<salt>" + _C64 + r"{14})\$(?P<digest>" + _C64 + r"{43})"
)

SUPPORTED_TYPES = frozenset({0, 5, 7, 8, 9})

#: What IOS prints for ``enable secret 5 <garbage>`` (one string per line).
INVALID_SECRET_LINES: tuple[str, str, str] = (
    "ERROR: The secret you entered is not a valid encrypted secret.",
    "To enter an UNENCRYPTED secret, do not specify type 5 encryption.",
    "When you properly enter an UNENCRYPTED secret, it will be encrypted.",
)


def invalid_secret_lines(secret_type: int) -> tuple[str, str, str]:
    """IOS's rejection text for a bad ``secret <type> <string>``; only the type number varies."""
    first, second, third = INVALID_SECRET_LINES
    return first, second.replace("type 5", f"type {secret_type}"), third


class InvalidEncryptedSecretError(ValueError):
    """An encrypted string is not well formed for the type it was given with."""

    def __init__(self, secret_type: int, value: str, reason: str) -> None:
        super().__init__(f"not a valid type {secret_type} string ({reason}): {value!r}")
        self.secret_type = secret_type
        self.value = value
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EncryptedSecret:
    """A parsed encrypted string, so callers need not re-split it themselves."""

    type: int
    text: str
    #: Salt for types 5/8/9; the two-digit seed for type 7; empty for type 0.
    salt: str = ""
    #: Encoded digest (5/8/9), hex ciphertext (7) or the clear text (0).
    digest: str = ""


def _to_bytes(plain: str) -> bytes:
    """IOS works on bytes; UTF-8 keeps ASCII identical and still round-trips anything else."""
    return plain.encode("utf-8")


def _cisco64_encode(raw: bytes) -> str:
    """Standard base64 bit order, Cisco alphabet, no padding (as types 8 and 9 store it)."""
    return base64.b64encode(raw).decode("ascii").rstrip("=").translate(_TO_CISCO64)


def _random_salt(length: int) -> str:
    """Fresh salt from the Cisco alphabet; ``secrets`` because salts must not be predictable."""
    return "".join(secrets.choice(CISCO64_ALPHABET) for _ in range(length))


def _check_salt(salt: str, lengths: range, secret_type: int) -> None:
    """Refuse salts that would produce a string IOS (and our parser) rejects."""
    if len(salt) not in lengths or re.fullmatch(_C64 + "*", salt) is None:
        raise ValueError(
            f"type {secret_type} salt must be {lengths.start}-{lengths.stop - 1} characters "
            f"from {CISCO64_ALPHABET!r}: {salt!r}"
        )


# --------------------------------------------------------------------- type 7


def type7_encode(plain: str, seed: int | None = None) -> str:
    """Obfuscate ``plain`` as IOS ``service password-encryption`` does.

    ``seed`` (0-15) is the key offset IOS picks at random; pass it to get a
    deterministic result.
    """
    if seed is None:
        seed = secrets.randbelow(_TYPE7_MAX_SEED + 1)
    if not 0 <= seed <= _TYPE7_MAX_SEED:
        raise ValueError(f"type 7 seed must be 0-{_TYPE7_MAX_SEED}, got {seed}")
    data = _to_bytes(plain)
    if not data:
        raise ValueError("type 7 cannot encode an empty password")
    key = TYPE7_KEY
    body = bytes(b ^ key[(seed + i) % len(key)] for i, b in enumerate(data))
    return f"{seed:02d}{body.hex().upper()}"


def _type7_parse(text: str) -> EncryptedSecret:
    """Shape check shared by decoding and :func:`parse_encrypted`."""
    m = _TYPE7_RE.fullmatch(text)
    if m is None:
        raise InvalidEncryptedSecretError(
            7, text, "expected 2 decimal seed digits then pairs of hex digits"
        )
    if int(m["seed"]) > _TYPE7_MAX_SEED:
        raise InvalidEncryptedSecretError(7, text, f"seed above {_TYPE7_MAX_SEED}")
    return EncryptedSecret(7, text, m["seed"], m["body"].upper())


def type7_decode(s: str) -> str:
    """Recover the clear text of a type 7 string; ``ValueError`` if it is malformed."""
    parsed = _type7_parse(s)
    seed = int(parsed.salt)
    key = TYPE7_KEY
    data = bytes(b ^ key[(seed + i) % len(key)] for i, b in enumerate(bytes.fromhex(parsed.digest)))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Hand-made ciphertexts can yield arbitrary bytes; keep one char per byte.
        return data.decode("latin-1")


def type7_verify(stored: str, plain: str) -> bool:
    """True if the type 7 string ``stored`` hides exactly ``plain``."""
    try:
        decoded = type7_decode(stored)
    except ValueError:
        return False
    return hmac.compare_digest(_to_bytes(decoded), _to_bytes(plain))


# --------------------------------------------------------------------- type 5


def _md5crypt(password: bytes, salt: bytes) -> str:
    """Poul-Henning Kamp's MD5-crypt ($1$), the algorithm behind IOS type 5."""
    magic = _TYPE5_MAGIC.encode("ascii")
    salt = salt[:_MD5CRYPT_MAX_SALT]

    alternate = hashlib.md5(password + salt + password).digest()
    ctx = hashlib.md5(password + magic + salt)
    remaining = len(password)
    while remaining > 0:
        ctx.update(alternate[: min(16, remaining)])
        remaining -= 16
    bits = len(password)
    while bits:
        ctx.update(b"\0" if bits & 1 else password[:1])
        bits >>= 1
    digest = ctx.digest()

    # 1000 rounds whose input mix depends on the round number (deliberately slow).
    for rnd in range(1000):
        step = hashlib.md5(password if rnd & 1 else digest)
        if rnd % 3:
            step.update(salt)
        if rnd % 7:
            step.update(password)
        step.update(digest if rnd & 1 else password)
        digest = step.digest()

    # Bytes are emitted in a fixed shuffled order, 3 at a time, low 6 bits first.
    out: list[str] = []
    for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)):
        value = (digest[a] << 16) | (digest[b] << 8) | digest[c]
        out.extend(CISCO64_ALPHABET[(value >> (6 * k)) & 0x3F] for k in range(4))
    value = digest[11]
    out.extend(CISCO64_ALPHABET[(value >> (6 * k)) & 0x3F] for k in range(2))
    return f"{_TYPE5_MAGIC}{salt.decode('ascii')}${''.join(out)}"


def type5_hash(plain: str, salt: str | None = None) -> str:
    """``$1$salt$digest`` as ``enable secret`` stores it; IOS draws a 4-character salt."""
    if salt is None:
        salt = _random_salt(_TYPE5_SALT_LEN)
    _check_salt(salt, range(1, _MD5CRYPT_MAX_SALT + 1), 5)
    return _md5crypt(_to_bytes(plain), salt.encode("ascii"))


def type5_verify(stored: str, plain: str) -> bool:
    """True if ``plain`` hashes to the type 5 string ``stored``; False if it is malformed."""
    try:
        parsed = parse_encrypted(5, stored)
    except InvalidEncryptedSecretError:
        return False
    candidate = _md5crypt(_to_bytes(plain), parsed.salt.encode("ascii"))
    return hmac.compare_digest(candidate.encode("ascii"), parsed.text.encode("ascii"))


# ---------------------------------------------------------------- types 8 & 9


def _type8_digest(password: bytes, salt: str) -> str:
    """PBKDF2-HMAC-SHA256; the salt's ASCII text is used as-is, not base64-decoded."""
    raw = hashlib.pbkdf2_hmac("sha256", password, salt.encode("ascii"), TYPE8_ITERATIONS, _DK_LEN)
    return _cisco64_encode(raw)


def _type9_digest(password: bytes, salt: str) -> str:
    """scrypt with IOS's fixed cost parameters; salt used as ASCII text like type 8."""
    raw = hashlib.scrypt(
        password, salt=salt.encode("ascii"), n=TYPE9_N, r=TYPE9_R, p=TYPE9_P, dklen=_DK_LEN
    )
    return _cisco64_encode(raw)


def type8_hash(plain: str, salt: str | None = None) -> str:
    """``$8$salt$digest`` (``algorithm-type sha256``) with a 14-character salt."""
    if salt is None:
        salt = _random_salt(_SCRYPT_SALT_LEN)
    _check_salt(salt, range(_SCRYPT_SALT_LEN, _SCRYPT_SALT_LEN + 1), 8)
    return f"$8${salt}${_type8_digest(_to_bytes(plain), salt)}"


def type9_hash(plain: str, salt: str | None = None) -> str:
    """``$9$salt$digest`` (``algorithm-type scrypt``) with a 14-character salt."""
    if salt is None:
        salt = _random_salt(_SCRYPT_SALT_LEN)
    _check_salt(salt, range(_SCRYPT_SALT_LEN, _SCRYPT_SALT_LEN + 1), 9)
    return f"$9${salt}${_type9_digest(_to_bytes(plain), salt)}"


def _verify_89(secret_type: int, stored: str, plain: str) -> bool:
    """Shared verify for types 8 and 9: recompute with the stored salt, compare in constant time."""
    try:
        parsed = parse_encrypted(secret_type, stored)
    except InvalidEncryptedSecretError:
        return False
    compute = _type8_digest if secret_type == 8 else _type9_digest
    candidate = compute(_to_bytes(plain), parsed.salt)
    return hmac.compare_digest(candidate.encode("ascii"), parsed.digest.encode("ascii"))


def type8_verify(stored: str, plain: str) -> bool:
    """True if ``plain`` matches the type 8 string ``stored``; False if it is malformed."""
    return _verify_89(8, stored, plain)


def type9_verify(stored: str, plain: str) -> bool:
    """True if ``plain`` matches the type 9 string ``stored``; False if it is malformed."""
    return _verify_89(9, stored, plain)


# ------------------------------------------------------------------ dispatch


def parse_encrypted(secret_type: int, text: str) -> EncryptedSecret:
    """Validate ``text`` as a stored string of ``secret_type`` (what IOS checks on input).

    Raises :class:`InvalidEncryptedSecretError` (a ``ValueError``) when IOS
    would refuse it, e.g. ``enable secret 5 notahash``; the CLI then prints
    :func:`invalid_secret_lines`.  Raises plain ``ValueError`` for a type this
    module does not handle.
    """
    if secret_type == 0:
        if not text:
            raise InvalidEncryptedSecretError(0, text, "empty")
        return EncryptedSecret(0, text, "", text)
    if secret_type == 7:
        return _type7_parse(text)
    if secret_type == 5:
        m = _TYPE5_RE.fullmatch(text)
        if m is None:
            raise InvalidEncryptedSecretError(5, text, "expected $1$<salt 1-8>$<22 chars>")
        return EncryptedSecret(5, text, m["salt"], m["digest"])
    if secret_type in (8, 9):
        m = _TYPE89_RE.fullmatch(text)
        if m is None or int(m["type"]) != secret_type:
            raise InvalidEncryptedSecretError(
                secret_type, text, f"expected ${secret_type}$<salt 14>$<43 chars>"
            )
        return EncryptedSecret(secret_type, text, m["salt"], m["digest"])
    raise ValueError(f"unsupported password type {secret_type}")


def is_valid_encrypted(secret_type: int, text: str) -> bool:
    """Boolean form of :func:`parse_encrypted`, for quick CLI checks."""
    try:
        parse_encrypted(secret_type, text)
    except InvalidEncryptedSecretError:
        return False
    return True


def encrypt_secret(secret_type: int, plain: str) -> str:
    """Produce the stored form of ``plain`` for ``secret_type`` with fresh randomness."""
    if secret_type == 0:
        return plain
    if secret_type == 5:
        return type5_hash(plain)
    if secret_type == 7:
        return type7_encode(plain)
    if secret_type == 8:
        return type8_hash(plain)
    if secret_type == 9:
        return type9_hash(plain)
    raise ValueError(f"unsupported password type {secret_type}")


def verify_secret(stored_type: int, stored: str, plain: str) -> bool:
    """Check a login attempt against a stored password of any supported type.

    A malformed ``stored`` string never matches; an unsupported
    ``stored_type`` raises ``ValueError`` because that is a caller bug.
    """
    if stored_type == 0:
        return hmac.compare_digest(_to_bytes(stored), _to_bytes(plain))
    if stored_type == 5:
        return type5_verify(stored, plain)
    if stored_type == 7:
        return type7_verify(stored, plain)
    if stored_type in (8, 9):
        return _verify_89(stored_type, stored, plain)
    raise ValueError(f"unsupported password type {stored_type}")
