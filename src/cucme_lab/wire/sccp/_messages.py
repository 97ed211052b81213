"""The SCCP message catalogue: message id to class, and payload decoding by id (§3.1).

Ids not in the catalogue (DynamicCallInfo 0x014A, vendor extensions) decode to
UnknownMessage with their raw payload instead of failing, so a session survives them.
"""

from __future__ import annotations

import functools
import struct

from cucme_lab.wire.sccp import _callcontrol as callcontrol
from cucme_lab.wire.sccp import _device_config as device_config
from cucme_lab.wire.sccp import _media as media
from cucme_lab.wire.sccp import _registration as registration
from cucme_lab.wire.sccp._base import SccpMessage, UnknownMessage
from cucme_lab.wire.sccp._fields import SccpProtocolError

ALL_MESSAGES: tuple[type[SccpMessage], ...] = (
    *registration.MESSAGES,
    *device_config.MESSAGES,
    *callcontrol.MESSAGES,
    *media.MESSAGES,
)

MESSAGE_TYPES: dict[int, type[SccpMessage]] = {cls.MESSAGE_ID: cls for cls in ALL_MESSAGES}
if len(MESSAGE_TYPES) != len(ALL_MESSAGES):  # pragma: no cover - guards the tables above
    raise RuntimeError("duplicate SCCP message id in the catalogue")


# A fleet's phones send the router the same requests, and the router gives them the same
# answers (capabilities, the requests without fields, button and soft-key templates of up to
# 780 bytes): each distinct payload is decoded once. A Register, one of a kind per phone, is
# left out, so the cache holds what repeats. Messages are frozen values, so handing the same
# object to every caller is safe.
@functools.lru_cache(maxsize=1024)
def _decode(cls: type[SccpMessage], payload: bytes, version: int) -> SccpMessage:
    return cls.decode(payload, version)  # a failure raises and is not cached


def decode_message(message_id: int, payload: bytes, version: int = 0) -> SccpMessage:
    """Decode one payload by its message id for protocol ``version``.

    Any failure is reported as SccpProtocolError, whatever layer found it.
    """
    cls = MESSAGE_TYPES.get(message_id)
    if cls is None:
        return UnknownMessage(message_id, bytes(payload))
    try:
        if cls is registration.Register or not cls.CACHED:
            return cls.decode(payload, version)
        return _decode(cls, bytes(payload), version)
    except SccpProtocolError:
        raise
    except (ValueError, struct.error) as exc:
        raise SccpProtocolError(f"{cls.__name__}: {exc}") from exc
