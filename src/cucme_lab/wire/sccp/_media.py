"""SCCP media-control messages: opening and closing RTP/SRTP streams (specs/sccp.md §3.3).

These are the layouts that depend most on the protocol version (addresses grow at V17,
fields appear at V11/V15/V16/V17/V21), and the only place SRTP keys travel (§7).
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from cucme_lab.wire.sccp._base import SccpMessage
from cucme_lab.wire.sccp._fields import I32, U16, U32, IpAddr, Raw, pad, wire

LATENT_CAPS_FROM = 21  # §2: the 36-byte latentCapsInfo block appears from V21
_KEY_INFO = struct.Struct("<IHH16s16sII")


@dataclass(frozen=True, slots=True)
class MediaEncryptionKeyInfo:
    """The 48-byte SRTP key block; keyLength/saltLength come from ``len(key)``/``len(salt)``.

    The default (algorithm 0, empty key) is what a non-secure call sends.
    """

    algorithm_id: int = 0  # EncryptionAlgorithm
    key: bytes = b""
    salt: bytes = b""
    is_mki_present: int = 0
    key_derivation_rate: int = 0


@dataclasses.dataclass(frozen=True)
class KeyInfoCodec:
    """Codec for MediaEncryptionKeyInfo; lengths above 16 are clamped when reading."""

    zero: MediaEncryptionKeyInfo = MediaEncryptionKeyInfo()

    def width(self, version: int) -> int:
        return _KEY_INFO.size

    def pack(self, value: MediaEncryptionKeyInfo, version: int) -> bytes:
        if len(value.key) > 16 or len(value.salt) > 16:
            raise ValueError("SRTP key and salt hold at most 16 bytes each")
        try:
            return _KEY_INFO.pack(
                value.algorithm_id,
                len(value.key),
                len(value.salt),
                value.key,
                value.salt,
                value.is_mki_present,
                value.key_derivation_rate,
            )
        except struct.error as exc:
            raise ValueError(str(exc)) from exc

    def unpack(self, data: bytes, offset: int, version: int) -> MediaEncryptionKeyInfo:
        alg, key_len, salt_len, key, salt, mki, kdr = _KEY_INFO.unpack_from(data, offset)
        return MediaEncryptionKeyInfo(alg, key[:key_len], salt[:salt_len], mki, kdr)


@dataclass(frozen=True, slots=True)
class OpenReceiveChannelAck(SccpMessage):
    """P→S 0x0022: the phone's RTP receive address (20 bytes, 36 from V17).

    ``call_reference`` is optional on the wire (tshark shows it when ``length > 20``).
    """

    MESSAGE_ID = 0x0022
    CACHED = False  # one call's, or SRTP keys: not cached (SccpMessage.CACHED)
    status: int = wire(U32)  # MediaStatus
    ip_addr: IPv4Address | IPv6Address = wire(IpAddr())
    port: int = wire(U32)
    pass_thru_party_id: int = wire(U32)
    call_reference: int | None = wire(U32, optional=True)


@dataclass(frozen=True, slots=True)
class StartMediaTransmission(SccpMessage):
    """S→P 0x008A: where the phone sends RTP/SRTP (132 bytes at V17).

    ``codec_params`` is the G.723.1 bit rate, or (from V11) the four codec-parameter bytes
    read as one u32. ``key_info`` is the key the phone encrypts with.
    """

    MESSAGE_ID = 0x008A
    CACHED = False  # one call's, or SRTP keys: not cached (SccpMessage.CACHED)
    conference_id: int = wire(U32)
    pass_thru_party_id: int = wire(U32)
    remote_ip: IPv4Address | IPv6Address = wire(IpAddr())
    remote_port: int = wire(U32)
    ms_packet_size: int = wire(U32, 20)
    compression_type: int = wire(U32, 4)  # MediaPayload
    precedence_value: int = wire(U32, 184)  # [unverified] value the probe used (0xB8, EF)
    silence_suppression: int = wire(U32)
    max_frames_per_packet: int = wire(U16)
    _pad: None = pad(2)
    codec_params: int = wire(U32)
    call_reference: int = wire(U32)
    key_info: MediaEncryptionKeyInfo = wire(KeyInfoCodec())
    stream_pass_through_id: int = wire(U32)
    associated_stream_id: int = wire(U32)
    rfc2833_payload_type: int = wire(U32, 101)
    dtmf_type: int = wire(U32)
    mixing_mode: int = wire(U32)
    party_direction: int = wire(U32, since=15)
    latent_caps: bytes = wire(Raw(36), since=LATENT_CAPS_FROM)


@dataclass(frozen=True, slots=True)
class StopMediaTransmission(SccpMessage):
    MESSAGE_ID = 0x008B
    CACHED = False  # one call's, or SRTP keys: not cached (SccpMessage.CACHED)
    conference_id: int = wire(U32)
    pass_thru_party_id: int = wire(U32)
    call_reference: int = wire(U32)
    port_handling: int = wire(U32)  # PortHandling


@dataclass(frozen=True, slots=True)
class OpenReceiveChannel(SccpMessage):
    """S→P 0x0105: asks the phone to open an RTP receive port (132 bytes at V17).

    ``key_info`` is the key the phone decrypts incoming SRTP with.
    """

    MESSAGE_ID = 0x0105
    CACHED = False  # one call's, or SRTP keys: not cached (SccpMessage.CACHED)
    conference_id: int = wire(U32)
    pass_thru_party_id: int = wire(U32)
    ms_packet_size: int = wire(U32, 20)
    compression_type: int = wire(U32, 4)  # MediaPayload
    echo_cancellation: int = wire(U32)
    codec_params: int = wire(U32)
    call_reference: int = wire(U32)
    key_info: MediaEncryptionKeyInfo = wire(KeyInfoCodec())
    stream_pass_through_id: int = wire(U32)
    associated_stream_id: int = wire(U32)
    rfc2833_payload_type: int = wire(U32, 101)
    dtmf_type: int = wire(U32)
    mixing_mode: int = wire(U32, since=11)
    party_direction: int = wire(U32, since=11)
    source_ip: IPv4Address | IPv6Address = wire(IpAddr(), since=11)
    source_port: int = wire(U32, since=11)
    requested_ip_addr_type: int = wire(U32, since=16)
    audio_level_adjustment: int = wire(I32, since=17)
    latent_caps: bytes = wire(Raw(36), since=LATENT_CAPS_FROM)


@dataclass(frozen=True, slots=True)
class CloseReceiveChannel(SccpMessage):
    MESSAGE_ID = 0x0106
    CACHED = False  # one call's, or SRTP keys: not cached (SccpMessage.CACHED)
    conference_id: int = wire(U32)
    pass_thru_party_id: int = wire(U32)
    call_reference: int = wire(U32)
    port_handling: int = wire(U32)  # PortHandling


MESSAGES: tuple[type[SccpMessage], ...] = (
    OpenReceiveChannelAck,
    StartMediaTransmission,
    StopMediaTransmission,
    OpenReceiveChannel,
    CloseReceiveChannel,
)
