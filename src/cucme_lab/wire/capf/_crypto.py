"""CAPF authentication signatures (§4.6, §4.7): pure functions over ``cryptography`` objects.

CAPF's RSA "signatures" are a raw private-key operation on ``00 01 FF..FF 00 || digest`` with no
DigestInfo, which no standard padding in ``cryptography`` produces, so the modular arithmetic is
done here. Verification compares only the trailing digest bytes, as the reference server does,
because what real phones put before the digest is unknown (§6.7).
"""

from __future__ import annotations

import hmac
import struct
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cucme_lab.wire.capf._constants import (
    Curve,
    KeyType,
)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

CURVES: dict[Curve, type[ec.EllipticCurve]] = {
    Curve.SECP256R1: ec.SECP256R1,
    Curve.SECP384R1: ec.SECP384R1,
    Curve.SECP521R1: ec.SECP521R1,
}


def auth_signed_input(device_name: str, certificate_der: bytes) -> bytes:
    """What SIGNED_DATA and SHA2_SIGNED_DATA sign: device name, NUL, DER certificate."""
    return device_name.encode("ascii") + b"\0" + certificate_der


def sudi_signed_input(session_id: int, sudi_der: bytes) -> bytes:
    """What the SUDI blocks sign; the session id is little-endian, the one LE value (§0)."""
    return struct.pack("<I", session_id) + sudi_der


def public_of(key: PrivateKey | PublicKey) -> PublicKey:
    """The public half of ``key`` (which may already be public)."""
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key.public_key()
    return key


def public_key_der(key: PrivateKey | PublicKey) -> bytes:
    """SubjectPublicKeyInfo DER, the PUBLIC_KEY element value."""
    return public_of(key).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _digest(data: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def sign(key: PrivateKey, data: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    """CAPF signature of ``data``; raises ValueError if the RSA key is too small for the hash."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algorithm))
    numbers = key.private_numbers()
    modulus = numbers.public_numbers.n
    size = (modulus.bit_length() + 7) // 8
    digest = _digest(data, algorithm)
    padding_len = size - 3 - len(digest)
    if padding_len < 8:
        raise ValueError("RSA key too small for this digest")
    block = b"\x00\x01" + b"\xff" * padding_len + b"\x00" + digest
    value = pow(int.from_bytes(block, "big"), numbers.d, modulus)
    return value.to_bytes(size, "big")


def verify(key: PublicKey, data: bytes, signature: bytes, algorithm: hashes.HashAlgorithm) -> bool:
    """True if ``signature`` is a CAPF signature of ``data`` by ``key``."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        try:
            key.verify(signature, data, ec.ECDSA(algorithm))
        except InvalidSignature:
            return False
        return True
    numbers = key.public_numbers()
    value = int.from_bytes(signature, "big")
    if not signature or value >= numbers.n:
        return False
    size = (numbers.n.bit_length() + 7) // 8
    recovered = pow(value, numbers.e, numbers.n).to_bytes(size, "big")
    digest = _digest(data, algorithm)
    return hmac.compare_digest(recovered[-len(digest):], digest)


def is_issued_by(certificate: x509.Certificate, issuers: Sequence[x509.Certificate]) -> bool:
    """True if one of ``issuers`` has ``certificate``'s issuer name and signature (§4.6)."""
    for issuer in issuers:
        if certificate.issuer != issuer.subject:
            continue
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        return True
    return False


def key_matches(key: PrivateKey | PublicKey, key_type: int, key_size: int | None,
                curve: int | None) -> bool:
    """True if ``key`` is what a KEY_GENERATE_REQUEST asked for."""
    public = public_of(key)
    if isinstance(public, rsa.RSAPublicKey):
        return key_type == KeyType.RSA and key_size == public.key_size
    if key_type != KeyType.EC or curve not in Curve._value2member_map_:
        return False
    return isinstance(public.curve, CURVES[Curve(curve)])
