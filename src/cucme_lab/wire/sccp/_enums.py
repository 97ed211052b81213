"""Named values for SCCP fields (specs/sccp.md §4).

Message fields stay plain ints so unknown values decode without error; these IntEnums are
for building messages and comparing against them readably.
"""

from __future__ import annotations

from enum import IntEnum


class DeviceType(IntEnum):
    """Register.deviceType (§4.1), the models the lab simulates most."""

    CISCO_7902 = 30008
    CISCO_7905 = 20000
    CISCO_7906 = 369
    CISCO_7910 = 6
    CISCO_7911 = 307
    CISCO_7912 = 30007
    CISCO_7920 = 30002
    CISCO_7921 = 365
    CISCO_7925 = 484
    CISCO_7931 = 348
    CISCO_7937 = 431
    CISCO_7940 = 8
    CISCO_7941 = 115
    CISCO_7941G_GE = 309
    CISCO_7942 = 434
    CISCO_7945 = 435
    CISCO_7960 = 7
    CISCO_7961 = 30018
    CISCO_7961G_GE = 308
    CISCO_7962 = 404
    CISCO_7965 = 436
    CISCO_7970 = 30006
    CISCO_7971 = 119
    CISCO_7975 = 437
    IP_COMMUNICATOR = 30016


class CallStateCode(IntEnum):
    """CallState.callState (§4.2)."""

    IDLE = 0
    OFF_HOOK = 1
    ON_HOOK = 2
    RING_OUT = 3
    RING_IN = 4
    CONNECTED = 5
    BUSY = 6
    CONGESTION = 7
    HOLD = 8
    CALL_WAITING = 9
    CALL_TRANSFER = 10
    CALL_PARK = 11
    PROCEED = 12
    CALL_REMOTE_MULTILINE = 13
    INVALID_NUMBER = 14
    HOLD_REVERT = 15
    WHISPER = 16
    REMOTE_HOLD = 17


class Tone(IntEnum):
    """StartTone/StopTone tones (§4.3), the ones a CUCME call flow uses."""

    SILENCE = 0x00
    INSIDE_DIAL = 0x21
    OUTSIDE_DIAL = 0x22
    LINE_BUSY = 0x23
    ALERTING = 0x24
    REORDER = 0x25
    CALL_WAITING = 0x2D
    HOLD = 0x35
    SECURE_WARNING = 0x39
    NON_SECURE_WARNING = 0x49
    NO_TONE = 0x7F


class ToneDirection(IntEnum):
    USER = 0
    NETWORK = 1
    ALL = 2


class RingMode(IntEnum):
    """SetRinger.ringMode (§4.4)."""

    RING_OFF = 1
    INSIDE_RING = 2
    OUTSIDE_RING = 3
    FEATURE_RING = 4
    FLASH_ONLY = 5
    PRECEDENCE_RING = 6


class RingDuration(IntEnum):
    NORMAL = 1
    SINGLE = 2


class LampMode(IntEnum):
    """SetLamp.lampMode (§4.5)."""

    OFF = 1
    ON = 2
    WINK = 3
    FLASH = 4
    BLINK = 5


class StimulusType(IntEnum):
    """Stimulus.stimulus and SetLamp.stimulus (§4.6)."""

    LAST_NUMBER_REDIAL = 0x01
    SPEED_DIAL = 0x02
    HOLD = 0x03
    TRANSFER = 0x04
    FORWARD_ALL = 0x05
    FORWARD_BUSY = 0x06
    FORWARD_NO_ANSWER = 0x07
    DISPLAY = 0x08
    LINE = 0x09
    VIDEO = 0x0E
    VOICE_MAIL = 0x0F
    ANSWER_RELEASE = 0x10
    AUTO_ANSWER = 0x11
    SELECT = 0x12
    PRIVACY = 0x13
    SERVICE_URL = 0x14
    BLF_SPEED_DIAL = 0x15
    CONFERENCE = 0x7D
    CALL_PARK = 0x7E
    CALL_PICKUP = 0x7F
    GROUP_CALL_PICKUP = 0x80
    DO_NOT_DISTURB = 0x82
    NEW_CALL = 0x89
    END_CALL = 0x8A


class KeypadKey(IntEnum):
    """KeypadButton.kpButton (§4.7): 0-9 are the digits themselves."""

    A = 0x0A
    B = 0x0B
    C = 0x0C
    D = 0x0D
    STAR = 0x0E
    POUND = 0x0F
    PLUS = 0x10


class SoftKeySetIndex(IntEnum):
    """SelectSoftKeys.softKeySetIndex (§4.8)."""

    ON_HOOK = 0
    CONNECTED = 1
    ON_HOLD = 2
    RING_IN = 3
    OFF_HOOK = 4
    CONNECTED_TRANSFERABLE = 5
    DIGITS_FOLLOWING = 6
    CONNECTED_CONFERENCE = 7
    RING_OUT = 8
    OFF_HOOK_WITH_FEATURES = 9
    IN_USE_HINT = 10
    ON_HOOK_STEALABLE = 11


class SoftKeyEventType(IntEnum):
    """SoftKeyEvent.softKeyEvent (§4.8)."""

    REDIAL = 1
    NEW_CALL = 2
    HOLD = 3
    TRANSFER = 4
    CFWD_ALL = 5
    CFWD_BUSY = 6
    CFWD_NO_ANSWER = 7
    BACKSPACE = 8
    END_CALL = 9
    RESUME = 10
    ANSWER = 11
    INFO = 12
    CONFRN = 13
    PARK = 14
    JOIN = 15
    MEET_ME = 16
    PICKUP = 17
    GRP_PICKUP = 18
    DIAL = 201


class MediaPayload(IntEnum):
    """compressionType / payloadCapability (§4.9)."""

    G711_ALAW_64K = 2
    G711_ALAW_56K = 3
    G711_ULAW_64K = 4
    G711_ULAW_56K = 5
    G722_64K = 6
    G723_1 = 9
    G728 = 10
    G729 = 11
    G729_ANNEX_A = 12
    G729_ANNEX_B = 15
    G729_ANNEX_AB = 16
    G722_1_32K = 0x28
    G722_1_24K = 0x29
    ILBC = 0x56
    RFC2833_DYNAMIC = 0x101


class ButtonType(IntEnum):
    """ButtonTemplate button types (§4.10)."""

    UNUSED = 0x00
    REDIAL = 0x01
    SPEED_DIAL = 0x02
    HOLD = 0x03
    TRANSFER = 0x04
    FORWARD_ALL = 0x05
    DISPLAY = 0x08
    LINE = 0x09
    VOICEMAIL = 0x0F
    BLF_SPEED_DIAL = 0x15
    CONFERENCE = 0x7D
    UNDEFINED = 0xFF


class ResetType(IntEnum):
    RESET = 1
    RESTART = 2
    APPLY_CONFIG = 3


class UnregisterStatus(IntEnum):
    OK = 0
    ERROR = 1
    NAK = 2


class CallType(IntEnum):
    INBOUND = 1
    OUTBOUND = 2
    FORWARD = 3


class CallSecurityStatus(IntEnum):
    UNKNOWN = 0
    NOT_AUTHENTICATED = 1
    AUTHENTICATED = 2
    ENCRYPTED = 3


class PortHandling(IntEnum):
    CLOSE_PORT = 0
    KEEP_PORT = 1


class SpeakerMode(IntEnum):
    ON = 1
    OFF = 2


class MediaStatus(IntEnum):
    """OpenReceiveChannelAck.status (§4.12)."""

    OK = 0
    UNKNOWN = 1
    NOT_ENOUGH_CHANNELS = 2
    CODEC_TOO_COMPLEX = 3
    INVALID_PARTY_ID = 4
    INVALID_CALL_REF = 5
    INVALID_CODEC = 6
    INVALID_PACKET_SIZE = 7
    OUT_OF_SOCKETS = 8
    ENCODER_OR_DECODER_FAILED = 9
    INVALID_DYNAMIC_PAYLOAD_TYPE = 10
    REQUESTED_IP_ADDR_TYPE_UNAVAILABLE = 11
    DEVICE_ON_HOOK = 255


class EncryptionAlgorithm(IntEnum):
    """MediaEncryptionKeyInfo.algorithmID (§3.3)."""

    NO_ENCRYPTION = 0
    AES_CM_128_HMAC_SHA1_32 = 1
    AES_CM_128_HMAC_SHA1_80 = 2
    F8_128_HMAC_SHA1_32 = 3
    F8_128_HMAC_SHA1_80 = 4
