"""SCCP call-control messages: hook and key events from the phone, and the tones, lamps,
call states and display updates the server answers with (specs/sccp.md §3, §6)."""

from __future__ import annotations

from dataclasses import dataclass

from cucme_lab.wire.sccp._base import SccpMessage
from cucme_lab.wire.sccp._fields import U32, Chars, Dirnum, wire

# ---- phone to server ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeypadButton(SccpMessage):
    """P→S 0x0003; old phones send only the key (4 bytes), newer ones line and call too."""

    MESSAGE_ID = 0x0003
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    button: int = wire(U32)  # 0-9 digits, KeypadKey otherwise
    line_instance: int | None = wire(U32, None, optional=True)
    call_reference: int | None = wire(U32, None, optional=True)


@dataclass(frozen=True, slots=True)
class EnblocCall(SccpMessage):
    """P→S 0x0004: a whole number at once. Layout from Wireshark's description (the spec
    only names the VariableDirnum); ``line_instance`` is optional for older firmware."""

    MESSAGE_ID = 0x0004
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    called_party: str = wire(Dirnum())
    line_instance: int | None = wire(U32, optional=True)


@dataclass(frozen=True, slots=True)
class Stimulus(SccpMessage):
    MESSAGE_ID = 0x0005
    stimulus: int = wire(U32)  # StimulusType
    stimulus_instance: int = wire(U32)
    call_reference: int = wire(U32)
    stimulus_status: int = wire(U32)


@dataclass(frozen=True, slots=True)
class OffHook(SccpMessage):
    """P→S 0x0006; both fields optional (old phones send an empty payload)."""

    MESSAGE_ID = 0x0006
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    line_instance: int | None = wire(U32, None, optional=True)
    call_reference: int | None = wire(U32, None, optional=True)


@dataclass(frozen=True, slots=True)
class OnHook(SccpMessage):
    """P→S 0x0007; both fields optional (old phones send an empty payload)."""

    MESSAGE_ID = 0x0007
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    line_instance: int | None = wire(U32, None, optional=True)
    call_reference: int | None = wire(U32, None, optional=True)


@dataclass(frozen=True, slots=True)
class HookFlash(SccpMessage):
    """P→S 0x0008. Layout from Wireshark's description; accepted short like OffHook."""

    MESSAGE_ID = 0x0008
    line_instance: int | None = wire(U32, optional=True)
    call_reference: int | None = wire(U32, optional=True)


@dataclass(frozen=True, slots=True)
class SoftKeyEvent(SccpMessage):
    MESSAGE_ID = 0x0026
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    soft_key_event: int = wire(U32)  # SoftKeyEventType
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)


# ---- server to phone ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartTone(SccpMessage):
    MESSAGE_ID = 0x0082
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    tone: int = wire(U32)  # Tone
    direction: int = wire(U32)  # ToneDirection
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)


@dataclass(frozen=True, slots=True)
class StopTone(SccpMessage):
    """S→P 0x0083; ``tone`` exists from V11 on (8 bytes before, 12 after)."""

    MESSAGE_ID = 0x0083
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)
    tone: int = wire(U32, since=11)


@dataclass(frozen=True, slots=True)
class SetRinger(SccpMessage):
    MESSAGE_ID = 0x0085
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    ring_mode: int = wire(U32, 1)  # RingMode
    ring_duration: int = wire(U32, 1)  # RingDuration
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)


@dataclass(frozen=True, slots=True)
class SetLamp(SccpMessage):
    MESSAGE_ID = 0x0086
    stimulus: int = wire(U32)  # StimulusType: 9 line, 0x0F voicemail (MWI)
    stimulus_instance: int = wire(U32)
    lamp_mode: int = wire(U32, 1)  # LampMode


@dataclass(frozen=True, slots=True)
class SetSpeakerMode(SccpMessage):
    MESSAGE_ID = 0x0088
    mode: int = wire(U32, 2)  # 1 on, 2 off


@dataclass(frozen=True, slots=True)
class SetMicroMode(SccpMessage):
    """S→P 0x0089. Not laid out in the spec; Wireshark describes one u32 (1 on, 2 off)."""

    MESSAGE_ID = 0x0089
    mode: int = wire(U32, 2)


@dataclass(frozen=True, slots=True)
class CallInfo(SccpMessage):
    """S→P 0x008F: the fixed 384-byte caller/callee description."""

    MESSAGE_ID = 0x008F
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    calling_party_name: str = wire(Chars(40))
    calling_party: str = wire(Chars(24))
    called_party_name: str = wire(Chars(40))
    called_party: str = wire(Chars(24))
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)
    call_type: int = wire(U32, 1)  # CallType
    original_called_party_name: str = wire(Chars(40))
    original_called_party: str = wire(Chars(24))
    last_redirecting_party_name: str = wire(Chars(40))
    last_redirecting_party: str = wire(Chars(24))
    original_cdpn_redirect_reason: int = wire(U32)
    last_redirecting_reason: int = wire(U32)
    cgpn_voice_mailbox: str = wire(Chars(24))
    cdpn_voice_mailbox: str = wire(Chars(24))
    original_cdpn_voice_mailbox: str = wire(Chars(24))
    last_redirecting_voice_mailbox: str = wire(Chars(24))
    call_instance: int = wire(U32, 1)
    call_security_status: int = wire(U32)  # CallSecurityStatus
    party_pi_restriction_bits: int = wire(U32)


@dataclass(frozen=True, slots=True)
class DisplayText(SccpMessage):
    """S→P 0x0099. Not laid out in the spec; Wireshark describes one char[32]."""

    MESSAGE_ID = 0x0099
    text: str = wire(Chars(32))


@dataclass(frozen=True, slots=True)
class ClearDisplay(SccpMessage):
    MESSAGE_ID = 0x009A


@dataclass(frozen=True, slots=True)
class SelectSoftKeys(SccpMessage):
    MESSAGE_ID = 0x0110
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)
    soft_key_set_index: int = wire(U32)  # SoftKeySetIndex
    valid_key_mask: int = wire(U32, 0xFFFF)


@dataclass(frozen=True, slots=True)
class CallState(SccpMessage):
    """S→P 0x0111, always the 24-byte form (tshark 4.0 calls the 12-byte form malformed)."""

    MESSAGE_ID = 0x0111
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    call_state: int = wire(U32)  # CallStateCode
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)
    privacy: int = wire(U32)
    precedence_level: int = wire(U32)
    precedence_domain: int = wire(U32)


@dataclass(frozen=True, slots=True)
class DisplayPromptStatus(SccpMessage):
    MESSAGE_ID = 0x0112
    timeout: int = wire(U32)
    text: str = wire(Chars(32))
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)


@dataclass(frozen=True, slots=True)
class ClearPromptStatus(SccpMessage):
    MESSAGE_ID = 0x0113
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)


@dataclass(frozen=True, slots=True)
class DisplayNotify(SccpMessage):
    MESSAGE_ID = 0x0114
    timeout: int = wire(U32)
    text: str = wire(Chars(32))


@dataclass(frozen=True, slots=True)
class ClearNotify(SccpMessage):
    MESSAGE_ID = 0x0115


@dataclass(frozen=True, slots=True)
class ActivateCallPlane(SccpMessage):
    MESSAGE_ID = 0x0116
    line_instance: int = wire(U32)


@dataclass(frozen=True, slots=True)
class DeactivateCallPlane(SccpMessage):
    MESSAGE_ID = 0x0117


@dataclass(frozen=True, slots=True)
class DialedNumber(SccpMessage):
    """S→P 0x011D: VariableDirnum number, then line and call (32 bytes, 33 from V18)."""

    MESSAGE_ID = 0x011D
    CACHED = False  # one call's: not cached (SccpMessage.CACHED)
    number: str = wire(Dirnum())
    line_instance: int = wire(U32)
    call_reference: int = wire(U32)


@dataclass(frozen=True, slots=True)
class DisplayPriNotify(SccpMessage):
    MESSAGE_ID = 0x0120
    timeout: int = wire(U32)
    priority: int = wire(U32)
    text: str = wire(Chars(32))


@dataclass(frozen=True, slots=True)
class ClearPriNotify(SccpMessage):
    MESSAGE_ID = 0x0121
    priority: int = wire(U32)


MESSAGES: tuple[type[SccpMessage], ...] = (
    KeypadButton,
    EnblocCall,
    Stimulus,
    OffHook,
    OnHook,
    HookFlash,
    SoftKeyEvent,
    StartTone,
    StopTone,
    SetRinger,
    SetLamp,
    SetSpeakerMode,
    SetMicroMode,
    CallInfo,
    DisplayText,
    ClearDisplay,
    SelectSoftKeys,
    CallState,
    DisplayPromptStatus,
    ClearPromptStatus,
    DisplayNotify,
    ClearNotify,
    ActivateCallPlane,
    DeactivateCallPlane,
    DialedNumber,
    DisplayPriNotify,
    ClearPriNotify,
)
