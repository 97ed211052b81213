"""SRTP (RFC 3711) written for the tests from the RFC, with `cryptography` only (not libsrtp).

The phones protect their media with libsrtp (pylibsrtp); this is the independent check that
what they put on the wire is the SRTP the RFC defines, under the keys the router sent: AES
counter-mode key derivation (4.3.1, 4.3.3 with key_derivation_rate 0), AES-CM encryption of
the payload (4.1.1) and HMAC-SHA1 authentication truncated to 32 or 80 bits (4.2.1), with
the rollover counter estimated from sequence numbers as in Appendix A.
"""

from __future__ import annotations

import hmac
from hashlib import sha1

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

LABEL_ENCRYPTION, LABEL_AUTH, LABEL_SALT = 0x00, 0x01, 0x02


class SrtpAuthError(ValueError):
    """The packet's authentication tag does not verify under this context's keys."""


def aes_cm_keystream(key: bytes, iv: int, length: int) -> bytes:
    """AES in counter mode from the 128-bit `iv` (RFC 3711 4.1.1): the keystream itself."""
    encryptor = Cipher(algorithms.AES(key), modes.CTR(iv.to_bytes(16, "big"))).encryptor()
    return encryptor.update(bytes(length)) + encryptor.finalize()


def derive(master_key: bytes, master_salt: bytes, label: int, length: int) -> bytes:
    """A session key (4.3.1): key_id = label || r with r = 0 (key derivation rate 0),
    x = key_id XOR master_salt, output AES-CM(master_key, x * 2^16)."""
    x = int.from_bytes(master_salt, "big") ^ (label << 48)
    return aes_cm_keystream(master_key, x << 16, length)


class SrtpReceiver:
    """One SRTP stream's receiving side: verifies and decrypts packets in arrival order."""

    def __init__(self, master_key: bytes, master_salt: bytes, tag_length: int = 4) -> None:
        self.cipher_key = derive(master_key, master_salt, LABEL_ENCRYPTION, 16)
        self.auth_key = derive(master_key, master_salt, LABEL_AUTH, 20)
        self.salt = derive(master_key, master_salt, LABEL_SALT, 14)
        self.tag_length = tag_length
        self.roc = 0
        self.highest: int | None = None  # s_l, the highest sequence number seen

    def _estimate(self, seq: int) -> int:
        """The rollover counter the packet was sent under (Appendix A)."""
        s_l = self.highest
        if s_l is None:
            return self.roc
        if s_l < 32768:
            return self.roc - 1 if seq - s_l > 32768 else self.roc
        return self.roc + 1 if s_l - 32768 > seq else self.roc

    def unprotect(self, packet: bytes, verify: bool = True) -> bytes:
        """The RTP packet inside `packet`; SrtpAuthError when the tag does not verify (with
        `verify` False the payload is decrypted regardless, to show what a wrong key gives)."""
        if len(packet) < 12 + self.tag_length:
            raise SrtpAuthError("too short for SRTP")
        body, tag = packet[: -self.tag_length], packet[-self.tag_length:]
        seq = int.from_bytes(body[2:4], "big")
        ssrc = int.from_bytes(body[8:12], "big")
        header_length = 12 + 4 * (body[0] & 0x0F)
        if body[0] & 0x10:  # a header extension
            words = int.from_bytes(body[header_length + 2: header_length + 4], "big")
            header_length += 4 + 4 * words
        roc = self._estimate(seq)
        expected = hmac.new(self.auth_key, body + roc.to_bytes(4, "big"), sha1).digest()
        if verify and not hmac.compare_digest(expected[: self.tag_length], tag):
            raise SrtpAuthError("authentication tag does not verify")
        index = (roc << 16) | seq
        iv = (int.from_bytes(self.salt, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
        payload = body[header_length:]
        keystream = aes_cm_keystream(self.cipher_key, iv, len(payload))
        if self.highest is None or roc > self.roc or (roc == self.roc and seq > self.highest):
            self.roc, self.highest = roc, seq
        return body[:header_length] + bytes(a ^ b for a, b in zip(payload, keystream,
                                                                   strict=True))

    def protect(self, rtp_packet: bytes, roc: int = 0) -> bytes:
        """The same transform forwards (to make packets with a chosen key, in tests)."""
        seq = int.from_bytes(rtp_packet[2:4], "big")
        ssrc = int.from_bytes(rtp_packet[8:12], "big")
        header_length = 12 + 4 * (rtp_packet[0] & 0x0F)
        index = (roc << 16) | seq
        iv = (int.from_bytes(self.salt, "big") << 16) ^ (ssrc << 64) ^ (index << 16)
        payload = rtp_packet[header_length:]
        keystream = aes_cm_keystream(self.cipher_key, iv, len(payload))
        body = rtp_packet[:header_length] + bytes(a ^ b for a, b in zip(payload, keystream,
                                                                        strict=True))
        tag = hmac.new(self.auth_key, body + roc.to_bytes(4, "big"), sha1).digest()
        return body + tag[: self.tag_length]
