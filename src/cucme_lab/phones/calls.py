"""The phone's call plane: its calls as the router's messages draw them, and what a user's
hands do (lift the handset, key digits, answer, hang up) as the messages the phone sends.

The router decides everything (router/telephony/calls.py); the phone keeps what it was told
per line: the call state, the other party (CallInfo), the tone and ringer, the prompt, the
call's security (CallInfo.callSecurityStatus: the lock icon for encrypted media, the shield
for authenticated), and its media (phones/media.py), opened when the router asks
(OpenReceiveChannel, answered with OpenReceiveChannelAck) and started, stopped and closed as it
says. The keys the router sent for the call are kept on the call (`rx_key`, `tx_key`), as the
phone's memory holds them; tests read them there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address

import trio

from cucme_lab.phones.media import MediaKeyError, MediaStream, Route
from cucme_lab.wire import sccp

STATES = ("offhook", "dialing", "ringout", "ringin", "connected", "hold", "busy", "reorder")
_STATE_OF = {
    sccp.CallStateCode.OFF_HOOK: "offhook",
    sccp.CallStateCode.RING_OUT: "ringout",
    sccp.CallStateCode.RING_IN: "ringin",
    sccp.CallStateCode.CONNECTED: "connected",
    sccp.CallStateCode.HOLD: "hold",
    sccp.CallStateCode.BUSY: "busy",
    sccp.CallStateCode.CONGESTION: "reorder",
    sccp.CallStateCode.INVALID_NUMBER: "reorder",
}
SECURITY = {sccp.CallSecurityStatus.ENCRYPTED: "encrypted",
            sccp.CallSecurityStatus.AUTHENTICATED: "authenticated"}
ICONS = {"encrypted": "lock", "authenticated": "shield"}


class CallError(RuntimeError):
    """What the user tried cannot be done now (no call ringing, not registered, ...)."""


KEYPAD = {**{str(i): i for i in range(10)}, "*": sccp.KeypadKey.STAR,
          "#": sccp.KeypadKey.POUND, "A": 0x0A, "B": 0x0B, "C": 0x0C, "D": 0x0D}


@dataclass
class PhoneCall:
    """One call on one line, as the phone shows it."""

    line: int
    ref: int
    state: str = "offhook"
    other_number: str = ""
    other_name: str = ""
    security_status: int = 0  # CallInfo.callSecurityStatus
    prompt: str = ""
    tone: int | None = None
    ringing: bool = False
    digits: str = ""  # what the user keyed in
    media: MediaStream | None = None
    rx_key: sccp.MediaEncryptionKeyInfo | None = None  # from OpenReceiveChannel
    tx_key: sccp.MediaEncryptionKeyInfo | None = None  # from StartMediaTransmission
    conference_id: int = 0
    party_id: int = 0
    streams: list[MediaStream] = field(default_factory=list)  # every one this call had

    @property
    def security(self) -> str:
        """non-secure, authenticated or encrypted: what the screen shows for the call."""
        return SECURITY.get(self.security_status, "non-secure")

    @property
    def icon(self) -> str:
        """lock (encrypted media), shield (authenticated), or none."""
        return ICONS.get(self.security, "")

    def summary(self) -> dict:
        """The call as `lab.json` lists it."""
        counters = self.media.counters if self.media is not None else None
        return {"line": self.line, "state": self.state, "other": self.other_number,
                "security": self.security,
                "media": {"sent": counters.sent if counters else 0,
                          "received": counters.received if counters else 0,
                          "lost": counters.lost if counters else 0,
                          "auth_failures": counters.auth_failures if counters else 0,
                          "srtp": counters.srtp if counters else False,
                          "moh": counters.moh if counters else 0,
                          "signal_ok": counters.signal_ok if counters else False}}


class CallPlane:
    """The calls of one phone; `receive` takes the router's call messages, the user's actions
    give the messages to send. Media streams run in `nursery` (the phone's), if it has one."""

    def __init__(self, station_ip: str, bind_address: str | None, route: Route | None,
                 on_change: Callable[[], None] | None = None) -> None:
        self.station_ip = station_ip
        self.bind_address = bind_address or "127.0.0.1"
        self.route = route
        self.on_change = on_change
        self.calls: dict[int, PhoneCall] = {}
        self.nursery: trio.Nursery | None = None
        self.lines: list[int] = []  # the phone's line buttons
        self.ended: list[PhoneCall] = []  # the last calls that ended (tests look back)

    def changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # ---- what the router says -------------------------------------------------------------

    async def receive(self, msg: sccp.SccpMessage) -> list[sccp.SccpMessage]:
        """Apply one call message; returns what the phone answers (OpenReceiveChannelAck)."""
        kind = type(msg)
        if kind is sccp.CallState:
            self._call_state(msg)
        elif kind is sccp.OpenReceiveChannel:
            return [await self._open_receive(msg)]
        else:
            call = self._call(msg)
            if call is None:
                return []  # the idle screen, the MWI lamp, a call already gone
            if kind is sccp.CallInfo:
                outbound = msg.call_type == sccp.CallType.OUTBOUND
                call.other_number = msg.called_party if outbound else msg.calling_party
                call.other_name = msg.called_party_name if outbound else msg.calling_party_name
                call.security_status = msg.call_security_status
            elif kind is sccp.StartTone:
                call.tone = msg.tone
            elif kind is sccp.StopTone:
                call.tone = None
            elif kind is sccp.SetRinger:
                call.ringing = msg.ring_mode != sccp.RingMode.RING_OFF
            elif kind is sccp.DisplayPromptStatus:
                call.prompt = msg.text
            elif kind is sccp.ClearPromptStatus:
                call.prompt = ""
            elif kind is sccp.StartMediaTransmission:
                self._start(call, msg)
            elif kind is sccp.StopMediaTransmission:
                if call.media is not None:
                    call.media.stop()
            elif kind is sccp.CloseReceiveChannel:
                self._close_media(call)
        self.changed()
        return []

    def _call(self, msg: sccp.SccpMessage) -> PhoneCall | None:
        line = getattr(msg, "line_instance", None)
        ref = getattr(msg, "call_reference", None)
        if line:
            call = self.calls.get(line)
            if call is not None and (not ref or call.ref == ref):
                return call
        if ref:
            return next((c for c in self.calls.values() if c.ref == ref), None)
        return None

    def _call_state(self, msg: sccp.CallState) -> None:
        line, ref = msg.line_instance, msg.call_reference
        if msg.call_state == sccp.CallStateCode.ON_HOOK:
            call = self.calls.get(line)
            if call is not None and call.ref == ref:
                self._end(call)
            self.changed()
            return
        call = self.calls.get(line)
        if call is None or call.ref != ref:
            if call is not None:
                self._end(call)
            call = self.calls[line] = PhoneCall(line, ref)
        state = _STATE_OF.get(msg.call_state)
        if state == "offhook" and call.digits:
            state = "dialing"
        if state is not None:
            call.state = state
        self.changed()

    def _end(self, call: PhoneCall) -> None:
        self._close_media(call)
        self.calls.pop(call.line, None)
        self.ended.append(call)
        del self.ended[:-20]

    async def _open_receive(self, msg: sccp.OpenReceiveChannel) -> sccp.OpenReceiveChannelAck:
        call = self._call(msg)
        status, port = sccp.MediaStatus.OK, 0
        if call is None:
            status = sccp.MediaStatus.INVALID_CALL_REF
        elif self.nursery is None:
            status = sccp.MediaStatus.OUT_OF_SOCKETS  # a phone without media (benchmarks)
        else:
            call.rx_key, call.conference_id = msg.key_info, msg.conference_id
            call.party_id = msg.pass_thru_party_id
            self._close_media(call)
            stream = MediaStream(self.bind_address, self.route, on_progress=self.changed)
            try:
                port = await stream.open(self.nursery, msg.key_info)
            except MediaKeyError:
                status = sccp.MediaStatus.ENCODER_OR_DECODER_FAILED
            except OSError:
                status = sccp.MediaStatus.OUT_OF_SOCKETS
            else:
                call.media = stream
                call.streams.append(stream)
        self.changed()
        return sccp.OpenReceiveChannelAck(status, IPv4Address(self.station_ip), port,
                                          msg.pass_thru_party_id, msg.call_reference)

    def _start(self, call: PhoneCall, msg: sccp.StartMediaTransmission) -> None:
        call.tx_key = msg.key_info
        if call.media is None:
            return  # no receive channel was opened: nothing to send from
        try:
            call.media.start(str(msg.remote_ip), msg.remote_port, msg.key_info)
        except MediaKeyError:
            pass  # the call stays silent this way, as a phone without the algorithm would

    @staticmethod
    def _close_media(call: PhoneCall) -> None:
        if call.media is not None:
            call.media.close()
            call.media = None

    def end_all(self) -> None:
        """The connection to the router is gone: every call ends, every socket closes."""
        for call in list(self.calls.values()):
            self._end(call)
        self.changed()

    # ---- what the user does ----------------------------------------------------------------

    def free_line(self) -> int:
        return next((n for n in self.lines or [1] if n not in self.calls), 0)

    def ringing_call(self, line: int | None = None) -> PhoneCall | None:
        if line:
            call = self.calls.get(line)
            return call if call is not None and call.state == "ringin" else None
        return next((c for c in self.calls.values() if c.state == "ringin"), None)

    def active_call(self, line: int | None = None) -> PhoneCall | None:
        """The call the handset holds: on `line`, else the first not ringing in."""
        if line:
            return self.calls.get(line)
        return next((c for c in self.calls.values() if c.state != "ringin"), None)

    @staticmethod
    def keys(call: PhoneCall, digits: str) -> list[sccp.SccpMessage]:
        out: list[sccp.SccpMessage] = []
        for d in digits.upper():
            if d not in KEYPAD:
                raise ValueError(f"{d!r} is not a key on the phone's keypad")
            out.append(sccp.KeypadButton(KEYPAD[d], call.line, call.ref))
        call.digits += digits
        if call.state == "offhook" and digits:
            call.state = "dialing"
        return out
