"""SCCP device-configuration requests and their answers (specs/sccp.md §3, §5 steps 6-12).

After RegisterAck the phone asks for its buttons, soft keys, lines, speed dials, forwards
and the time; each request here has a response message that the router fills in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cucme_lab.wire.sccp._base import SccpMessage
from cucme_lab.wire.sccp._fields import U8, U16, U32, Chars, Dirnum, Nested, Slots, wire


@dataclass(frozen=True, slots=True)
class ForwardStatReq(SccpMessage):
    MESSAGE_ID = 0x0009
    line_number: int = wire(U32)


@dataclass(frozen=True, slots=True)
class SpeedDialStatReq(SccpMessage):
    MESSAGE_ID = 0x000A
    speed_dial_number: int = wire(U32)


@dataclass(frozen=True, slots=True)
class LineStatReq(SccpMessage):
    MESSAGE_ID = 0x000B
    line_number: int = wire(U32)


@dataclass(frozen=True, slots=True)
class ConfigStatReq(SccpMessage):
    MESSAGE_ID = 0x000C


@dataclass(frozen=True, slots=True)
class TimeDateReq(SccpMessage):
    MESSAGE_ID = 0x000D


@dataclass(frozen=True, slots=True)
class ButtonTemplateReq(SccpMessage):
    MESSAGE_ID = 0x000E


@dataclass(frozen=True, slots=True)
class VersionReq(SccpMessage):
    MESSAGE_ID = 0x000F


@dataclass(frozen=True, slots=True)
class SoftKeySetReq(SccpMessage):
    MESSAGE_ID = 0x0025


@dataclass(frozen=True, slots=True)
class SoftKeyTemplateReq(SccpMessage):
    MESSAGE_ID = 0x0028


@dataclass(frozen=True, slots=True)
class ForwardStat(SccpMessage):
    """S→P 0x0090; the three numbers are VariableDirnum (92 bytes below V18, 95 from V18)."""

    MESSAGE_ID = 0x0090
    active_forward: int = wire(U32)
    line_number: int = wire(U32)
    forward_all_active: int = wire(U32)
    forward_all_number: str = wire(Dirnum())
    forward_busy_active: int = wire(U32)
    forward_busy_number: str = wire(Dirnum())
    forward_no_answer_active: int = wire(U32)
    forward_no_answer_number: str = wire(Dirnum())


@dataclass(frozen=True, slots=True)
class SpeedDialStat(SccpMessage):
    MESSAGE_ID = 0x0091
    speed_dial_number: int = wire(U32)
    number: str = wire(Chars(24))
    display_name: str = wire(Chars(40))


@dataclass(frozen=True, slots=True)
class LineStat(SccpMessage):
    MESSAGE_ID = 0x0092
    line_number: int = wire(U32)
    dir_number: str = wire(Chars(24))
    fully_qualified_display_name: str = wire(Chars(40))
    text_label: str = wire(Chars(40))
    display_options: int = wire(U32, 0x0F)


@dataclass(frozen=True, slots=True)
class ConfigStat(SccpMessage):
    """S→P 0x0093 (112 bytes). Not laid out in the spec; taken from Wireshark's message
    description (sid, userName, serverName, line and speed-dial counts) and checked with
    tshark."""

    MESSAGE_ID = 0x0093
    device_name: str = wire(Chars(16))
    user_id: int = wire(U32)
    instance: int = wire(U32, 1)
    user_name: str = wire(Chars(40))
    server_name: str = wire(Chars(40))
    number_of_lines: int = wire(U32)
    number_of_speed_dials: int = wire(U32)


@dataclass(frozen=True, slots=True)
class DefineTimeDate(SccpMessage):
    """S→P 0x0094 (TimeDateRes): broken-down local time plus Unix seconds."""

    MESSAGE_ID = 0x0094
    year: int = wire(U32)
    month: int = wire(U32)
    day_of_week: int = wire(U32)  # 0 = Sunday
    day: int = wire(U32)
    hour: int = wire(U32)
    minute: int = wire(U32)
    second: int = wire(U32)
    milliseconds: int = wire(U32)
    system_time: int = wire(U32)

    @classmethod
    def at(cls, moment: datetime) -> DefineTimeDate:
        """The message for ``moment`` (an aware datetime gives the right systemTime)."""
        return cls(
            year=moment.year,
            month=moment.month,
            day_of_week=(moment.weekday() + 1) % 7,
            day=moment.day,
            hour=moment.hour,
            minute=moment.minute,
            second=moment.second,
            milliseconds=moment.microsecond // 1000,
            system_time=int(moment.timestamp()),
        )


@dataclass(frozen=True, slots=True)
class ButtonDefinition:
    instance_number: int = wire(U8)
    button_type: int = wire(U8)  # ButtonType


@dataclass(frozen=True, slots=True)
class ButtonTemplate(SccpMessage):
    """S→P 0x0097: 42 two-byte button slots (96 bytes); unused slots are zero."""

    MESSAGE_ID = 0x0097
    button_offset: int = wire(U32)
    button_count: int = wire(U32)
    total_button_count: int = wire(U32)
    buttons: tuple[ButtonDefinition, ...] = wire(Slots(Nested(ButtonDefinition), 42))


@dataclass(frozen=True, slots=True)
class Version(SccpMessage):
    """S→P 0x0098. Not laid out in the spec; Wireshark describes one char[16]."""

    MESSAGE_ID = 0x0098
    version: str = wire(Chars(16))


@dataclass(frozen=True, slots=True)
class SoftKeyDefinition:
    label: str = wire(Chars(16))  # text or a 0x80-escaped display label
    event: int = wire(U32)  # SoftKeyEventType


@dataclass(frozen=True, slots=True)
class SoftKeyTemplateRes(SccpMessage):
    """S→P 0x0108 (652 bytes): 32 soft-key slots. Not laid out in the spec; taken from
    Wireshark's message description and checked with tshark."""

    MESSAGE_ID = 0x0108
    soft_key_offset: int = wire(U32)
    soft_key_count: int = wire(U32)
    total_soft_key_count: int = wire(U32)
    definitions: tuple[SoftKeyDefinition, ...] = wire(Slots(Nested(SoftKeyDefinition), 32))


@dataclass(frozen=True, slots=True)
class SoftKeySetDefinition:
    """One soft-key set: up to 16 template indexes (u8) then 16 info indexes (u16)."""

    template_indexes: tuple[int, ...] = wire(Slots(U8, 16))
    info_indexes: tuple[int, ...] = wire(Slots(U16, 16))


@dataclass(frozen=True, slots=True)
class SoftKeySetRes(SccpMessage):
    """S→P 0x0109 (780 bytes): 16 soft-key sets. Not laid out in the spec; taken from
    Wireshark's message description and checked with tshark."""

    MESSAGE_ID = 0x0109
    soft_key_set_offset: int = wire(U32)
    soft_key_set_count: int = wire(U32)
    total_soft_key_set_count: int = wire(U32)
    sets: tuple[SoftKeySetDefinition, ...] = wire(Slots(Nested(SoftKeySetDefinition), 16))


MESSAGES: tuple[type[SccpMessage], ...] = (
    ForwardStatReq,
    SpeedDialStatReq,
    LineStatReq,
    ConfigStatReq,
    TimeDateReq,
    ButtonTemplateReq,
    VersionReq,
    SoftKeySetReq,
    SoftKeyTemplateReq,
    ForwardStat,
    SpeedDialStat,
    LineStat,
    ConfigStat,
    DefineTimeDate,
    ButtonTemplate,
    Version,
    SoftKeyTemplateRes,
    SoftKeySetRes,
)
