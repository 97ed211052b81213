"""The router's side of one SCCP phone connection, as a sans-I/O state machine (h11-style).

One Station per connection. The SCCP service (services/sccp.py) owns the socket, TLS, the
framing codec and the deadline; it tells the Station what happened (`connection_made`,
`secured`, each decoded message to `receive`, `timed_out`, `peer_closed`, `connection_lost`,
`bad_frame`, `closed`) and writes what the Station returns: SCCP messages, then a `Close`
when the connection is to end once they are sent. A Reset typed at the CLI reaches the
Station the same way: the registry calls the service's link, which asks `reset` for the
messages. The Station never touches a socket, trio or a timer: the transport asks it for
`read_timeout` and reports when that passed. The time of day a phone is told is the router's
clock (router state, like the configuration).

What it decides: the registration sequence of specs/sccp.md 5 (admission by the registry,
RegisterAck or RegisterReject, the device-configuration answers, the idle screen), keepalives,
Unregister, Reset/Restart, and the `debug ephone` lines of all that. Messages are handled
through a table by message type (`_on`); a message without a handler gets the "X not handled"
detail line and no answer.

Calls (specs/sccp.md 6): the call-control messages (OffHook, KeypadButton, EnblocCall,
SoftKeyEvent: Answer, EndCall, Hold, Resume, Transfer, Confrn; OnHook, OpenReceiveChannelAck)
go to the registry's CallControl (calls.py) with this Station as the phone's end of its legs
(`legs`, by line) and as the Directory that resolves digits (the dial plan and the registered
phones, from the registry). What the event means for another phone is pushed to that phone's
Station, which writes it through its link (`PhoneLink.deliver`). The interdigit timeout is a
timer the transport runs for the Station: `timer` seconds from when `timer_serial` last
changed, then `timer_expired`. A connection that ends takes its calls down with it: the other
parties go on-hook (or, from a conference, back to a direct call).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from cucme_lab.router.telephony.calls import Endpoint, Leg, Sends
from cucme_lab.router.telephony.registrations import (
    MISSED_KEEPALIVES,
    PhoneLink,
    RegisterRequest,
    Registration,
    encrypting,
)
from cucme_lab.router.telephony.settings import Button, EphoneDn, ephone, ephone_dn
from cucme_lab.wire import sccp

if TYPE_CHECKING:
    from datetime import datetime

    from cucme_lab.router.config.section import Section
    from cucme_lab.router.router import Router
    from cucme_lab.router.telephony.dialplan import Verdict
    from cucme_lab.router.telephony.tollplan import TollPlan

DATE_TEMPLATE = "M/D/YA"  # CME's default `date-format mm-dd-yy` with a 12-hour clock [M]

# Soft keys offered to phones that ask (specs/sccp.md 4.8); indexes are 1-based in the sets.
SOFT_KEYS = (("Redial", 1), ("NewCall", 2), ("Hold", 3), ("Trnsfer", 4), ("CFwdALL", 5),
             ("EndCall", 9), ("Resume", 10), ("Answer", 11), ("Confrn", 13))
SOFT_KEY_SETS = ((1, 2, 5), (3, 4, 6, 9), (7,), (8, 6), (1, 6, 5), (3, 4, 6, 9), (6,),
                 (3, 6, 9), (6,), (1, 6, 5), (2,), (1, 2, 5))

# What every phone is told alike, made once: a fleet's registrations would build each anew,
# and the codec encodes an equal message once (wire.sccp.connection._shared_frame).
SOFT_KEY_TEMPLATE = sccp.SoftKeyTemplateRes(0, len(SOFT_KEYS), len(SOFT_KEYS), tuple(
    sccp.SoftKeyDefinition(label, event) for label, event in SOFT_KEYS))
SOFT_KEY_SET = sccp.SoftKeySetRes(0, len(SOFT_KEY_SETS), len(SOFT_KEY_SETS), tuple(
    sccp.SoftKeySetDefinition(s, tuple(0 for _ in s)) for s in SOFT_KEY_SETS))
IDLE_SCREEN = (sccp.SelectSoftKeys(0, 0, sccp.SoftKeySetIndex.ON_HOOK, 0xFFFF),
               sccp.SetLamp(sccp.StimulusType.VOICE_MAIL, 0, sccp.LampMode.OFF),
               sccp.DisplayPromptStatus(0, "Your current options", 0, 0))
KEEPALIVE_ACK = sccp.KeepAliveAck()
CAPABILITIES_REQ = sccp.CapabilitiesReq()
UNREGISTER_ACK = sccp.UnregisterAck(0)


@dataclasses.dataclass(frozen=True, slots=True)
class Close:
    """Close the connection once the messages before it are sent (nothing follows it)."""

    reason: str


Output = sccp.SccpMessage | Close


@dataclasses.dataclass(frozen=True, slots=True)
class TlsPeer:
    """What the service found in a TLS handshake it accepted (certificate already judged)."""

    version: str | None  # "TLSv1.2"
    cipher: str | None  # the OpenSSL suite name, "NULL-SHA"
    certificate_cn: str | None  # checked against the device name at Register
    certificate_subject: str  # for the debug line


class StationState(Enum):
    """Where the connection is (its calls are per line, in `legs`: calls.py)."""

    NEW = "new"  # made, `connection_made` not told yet
    CONNECTED = "connected"  # waiting for Register (TLS, if any, already accepted)
    REGISTERED = "registered"
    RESET_SENT = "reset sent"  # still registered: the phone is to unregister or drop
    CLOSING = "closing"  # a Close was returned, or the transport is ending: nothing more
    CLOSED = "closed"


_ENDING = (StationState.CLOSING, StationState.CLOSED)
_BEFORE_REGISTER = frozenset({sccp.Register, sccp.KeepAlive})  # the rest wait for Register

M = TypeVar("M", bound=sccp.SccpMessage)
Handler = Callable[["Station", Any], Sequence[Output]]
_HANDLERS: dict[type[sccp.SccpMessage], Handler] = {}


def _on(*types: type[sccp.SccpMessage]) -> Callable[[Callable[[Station, M], Sequence[Output]]],
                                                     Callable[[Station, M], Sequence[Output]]]:
    """Register a Station method as the handler of these message types (the dispatch table)."""
    def register(handler: Callable[[Station, M], Sequence[Output]]
                 ) -> Callable[[Station, M], Sequence[Output]]:
        for kind in types:
            if kind in _HANDLERS:
                raise RuntimeError(f"two handlers for {kind.__name__}")
            _HANDLERS[kind] = handler
        return handler
    return register


# ---- what the station reads of the configuration: here only, through settings' typed views ----

def _buttons(config: Section, tag: int) -> list[Button]:
    """The ephone's buttons by index, read at each request: the configuration may change."""
    ep = ephone(config, tag)
    return sorted(ep.buttons, key=lambda b: b.index) if ep is not None else []


def _line_dn(config: Section, buttons: list[Button], line: int) -> EphoneDn | None:
    """The first ephone-dn on button `line`, if any."""
    button = next((b for b in buttons if b.index == line), None)
    return ephone_dn(config, button.dns[0]) if button and button.dns else None


def _line_label(config: Section, buttons: list[Button], line: int) -> tuple[str, str]:
    """(number, display name) of the first ephone-dn on button `line`; empty when none."""
    dn = _line_dn(config, buttons, line)
    if dn is None:
        return "", ""
    number = dn.number or ""
    return number, dn.name or number


@functools.lru_cache(maxsize=64)
def _register_ack(version: int, interval: int) -> sccp.RegisterAck:
    """RegisterAck for a version and keepalive: a fleet's phones all get one of a few."""
    return sccp.RegisterAck.for_version(version, keep_alive_interval=interval,
                                        date_template=DATE_TEMPLATE,
                                        secondary_keep_alive_interval=interval)


class Station:
    """One phone connection's SCCP dialogue with the router, fed events, returning outputs.

    `link` is the service's handle on the connection (it goes into the Registration, so the
    registry can reach the phone with a Reset or drop it when it registers elsewhere).
    `max_version` is the highest protocol version the router speaks; the service's codec must
    use the same, as both agree on `min(phone, router)` (wire.sccp.SccpConnection).
    """

    __slots__ = ("_router", "_registry", "_link", "peer_ip", "peer_port", "transport",
                 "max_version", "socket", "state", "reg", "tls", "legs", "timer",
                 "timer_serial")

    def __init__(self, router: Router, link: PhoneLink, peer_ip: str, peer_port: int,
                 transport: str = "TCP", *, max_version: int = sccp.DEFAULT_VERSION) -> None:
        self._router = router
        self._registry = router.phones
        self._link = link
        self.peer_ip = peer_ip  # the phone's configured address (its loopback mapped back)
        self.peer_port = peer_port
        self.transport = transport  # "TCP" or "TLS"
        self.max_version = max_version
        self.socket = 0  # the skinny socket number, from `connection_made`
        self.state = StationState.NEW
        self.reg: Registration | None = None
        self.tls: TlsPeer | None = None
        self.legs: dict[int, Leg] = {}  # this phone's call legs, by line instance
        self.timer: float | None = None  # seconds the transport waits to call timer_expired
        self.timer_serial = 0  # changes each time `timer` is set or stopped

    # ---- logging -----------------------------------------------------------------------------

    def _label(self) -> str:
        reg = self.reg
        if reg is not None:
            return f"ephone-{reg.tag}[{reg.tag - 1}]:"
        return f"Skinny socket [{self.socket}] {self.peer_ip}:"

    def debug(self, kind: str, text: str) -> None:
        """A `debug ephone <kind>` line under this connection's label (the transport's too)."""
        registry = self._registry
        if not registry.debugging(kind):
            return  # most of the time: the label is not worth building
        reg = self.reg
        registry.debug_line(kind, self._label() + text, reg.device_name if reg else None)

    def _send(self, *messages: sccp.SccpMessage) -> tuple[sccp.SccpMessage, ...]:
        """The messages to write, with their "-> X" lines now, in the order IOS logs them."""
        if self._registry.debugging("detail"):
            for message in messages:
                self.debug("detail", f"-> {message.name}")
        return messages

    # ---- what the transport tells -----------------------------------------------------------

    def connection_made(self) -> None:
        """The connection is accepted (before any TLS handshake): it takes a skinny socket."""
        self.socket = self._registry.open_socket()
        self.state = StationState.CONNECTED
        if self._registry.debugging("detail"):
            self.debug("detail", f"new {self.transport} connection from port {self.peer_port}")

    def secured(self, peer: TlsPeer) -> None:
        """The TLS handshake finished and the trustpoint accepted the phone's certificate."""
        self.tls = peer
        if self._registry.debugging("detail"):
            self.debug("detail", f"TLS {peer.version} {peer.cipher} with certificate "
                       f"{peer.certificate_subject}")

    @property
    def read_timeout(self) -> float:
        """Seconds of real time the transport waits for a message before `timed_out`."""
        reg = self.reg
        registry = self._registry
        interval = reg.keepalive_interval if reg is not None else \
            registry.keepalive_interval(self._router)
        return interval * MISSED_KEEPALIVES * registry.time_scale

    def timed_out(self) -> None:
        """No message within `read_timeout`: the phone is gone (unregistered abnormally)."""
        self.debug("keepalive" if self.reg else "register",
                   f"no message for {self.read_timeout:g} seconds, closing")
        self.state = StationState.CLOSING
        self._end_calls()
        if self.reg is not None:
            self._registry.unregister(self.reg.tag, normal=False, link=self._link)
            self.reg = None

    def bad_frame(self, reason: str) -> None:
        """The codec refused the phone's bytes: the transport closes."""
        self.debug("register", f"bad SCCP frame ({reason}), closing")
        self.state = StationState.CLOSING

    def peer_closed(self, how: str = "") -> None:
        """The phone closed its side (end of stream); `how`, when the transport knows more
        (a TLS session that ended without close_notify)."""
        self.debug("detail", "connection closed by the phone" + (f" ({how})" if how else ""))
        self.state = StationState.CLOSING

    def connection_lost(self, cause: str) -> None:
        """The connection broke (reset by the phone, a failed write): `cause` names it."""
        self.debug("detail", f"connection lost ({cause})")
        self.state = StationState.CLOSING

    def closed(self) -> None:
        """The transport is done: a phone still registered has unregistered abnormally."""
        if self.state is StationState.CLOSED:
            return
        self._end_calls()
        if self.reg is not None:
            self._registry.unregister(self.reg.tag, normal=False, link=self._link)
            self.reg = None
        if self.state is not StationState.NEW:
            self._registry.close_socket(self.socket)
        self.state = StationState.CLOSED

    def timer_expired(self) -> Sequence[Output]:
        """The timer the Station asked for (`timer`) has run out: the interdigit timeout."""
        self.timer = None
        if self.state in _ENDING or self.reg is None:
            return ()
        return self._reply(self._registry.calls.timer_expired(self, self))

    # ---- what the router side asks ----------------------------------------------------------

    def reset(self, reset_type: int) -> Sequence[Output]:
        """The registry's Reset (1) or Restart (2) for this phone; nothing once closing."""
        if self.state in _ENDING:
            return ()
        if self.reg is not None:
            self.state = StationState.RESET_SENT
        return self._send(sccp.Reset(reset_type))

    # ---- the phone's end of its calls (calls.Endpoint, calls.Directory) ----------------------

    def push(self, messages: Sequence[sccp.SccpMessage]) -> None:
        """Messages another phone's event made for this one: written through the link."""
        if self.state in _ENDING or not messages:
            return
        self._link.deliver(self._send(*messages))

    def arm_timer(self, seconds: float | None) -> None:
        """Ask for `timer_expired` in `seconds` configured seconds (None: no timer)."""
        self.timer = None if seconds is None else seconds * self._registry.time_scale
        self.timer_serial += 1

    def line_label(self, line: int) -> tuple[str, str] | None:
        """(number, name) of the ephone-dn on button `line`; the name "" when none is set."""
        reg = self.reg
        if reg is None:
            return None
        config = self._router.config
        dn = _line_dn(config, _buttons(config, reg.tag), line)
        if dn is None or not dn.number:
            return None
        return dn.number, dn.name or ""

    def lines(self) -> list[int]:
        reg = self.reg
        return [] if reg is None else \
            [b.index for b in _buttons(self._router.config, reg.tag) if b.dns]

    def match(self, digits: str) -> Verdict:
        return self._registry.dial_plan(self._router).match(digits)

    def reach(self, dn: int) -> tuple[Endpoint, int] | None:
        owner = self._registry.line_owner(self._router, dn)
        if owner is None or owner[0].station is None:
            return None
        return owner[0].station, owner[1]

    def toll(self) -> TollPlan:
        plan = self._registry.dial_plan(self._router).toll
        assert plan is not None
        return plan

    def now(self) -> datetime:
        return self._router.clock.now_local()

    def trunk(self, port: str) -> Endpoint | None:
        return self._registry.voice_ports.endpoint(self._router.config, port)

    def _reply(self, sends: Sends) -> Sequence[Output]:
        """This phone's part of a call event (the other phones' parts are pushed to them)."""
        mine = sends.reply(self)
        return self._send(*mine) if mine else ()

    def _end_calls(self) -> None:
        if self.legs:
            self.arm_timer(None)
            self._registry.calls.station_gone(self)

    # ---- what the phone sends ---------------------------------------------------------------

    def receive(self, message: sccp.SccpMessage) -> Sequence[Output]:
        """The outputs answering one message from the phone, in order; a Close comes last."""
        kind = type(message)
        if kind is not sccp.KeepAlive and self._registry.debugging("detail"):
            self.debug("detail", f"<- {message.name}")
        if self.state in _ENDING:
            return ()
        if self.reg is None and kind not in _BEFORE_REGISTER:
            self.debug("register", f"{message.name} before Register, ignored")
            return ()
        handler = _HANDLERS.get(kind)
        if handler is None:
            self.debug("detail", f"{message.name} not handled")
            return ()
        return handler(self, message)

    # ---- the registration sequence (specs/sccp.md 5) ----------------------------------------

    @_on(sccp.Register)
    def _register(self, msg: sccp.Register) -> Sequence[Output]:
        if self.reg is not None:
            self.debug("register", "second Register on a registered connection, ignored")
            return ()
        registry, router = self._registry, self._router
        ver = msg.protocol_ver or 0
        debugging = registry.debugging("register")  # spare the text when nobody reads it
        if debugging:
            self.debug("register", f"StationRegisterMessage ({self.socket}/{msg.instance}/"
                       f"{ver}) from {self.peer_ip}")
            self.debug("register", f"Register StationIdentifier DeviceName {msg.device_name}")
            self.debug("register", f"StationIdentifier Instance {msg.instance} deviceType "
                       f"{msg.device_type}")
        tls = self.tls
        cn, cipher, tls_version = (tls.certificate_cn, tls.cipher, tls.version) if tls else \
            (None, None, None)
        encrypts = encrypting(cipher)
        adm = registry.admit(router, RegisterRequest(
            msg.device_name, self.peer_ip, self.peer_port, self.transport, msg.device_type, ver,
            cn, cipher, encrypts))
        if not adm.ok:
            self.debug("register", f"RegisterReject sent to {msg.device_name}: {adm.reason} "
                       f"({adm.detail})")
            self.state = StationState.CLOSING
            return (*self._send(sccp.RegisterReject(adm.reason)),
                    Close(f"registration refused: {adm.reason}"))
        interval = registry.keepalive_interval(router)
        version = min(ver, self.max_version)  # what the codec's agreed_version says
        out = self._send(_register_ack(version, interval), CAPABILITIES_REQ)
        self.reg = Registration(
            tag=adm.tag, device_name=msg.device_name, ip=self.peer_ip, port=self.peer_port,
            socket=self.socket, transport=self.transport, device_type=msg.device_type,
            protocol_ver=ver, version=version, max_streams=msg.max_streams,
            keepalive_interval=interval, link=self._link, new=adm.new,
            security_mode=adm.security_mode, cipher=cipher, tls_version=tls_version,
            cipher_encrypts=encrypts, max_lines=msg.max_number_of_lines or 0,
            load=_printable(msg.firmware_load_name or ""), station=self)
        self.state = StationState.REGISTERED
        registry.register(self.reg)
        if debugging:
            self.debug("register", f"RegisterAck sent to ephone {adm.tag}: keepalive period "
                       f"{interval}")
        return out

    @_on(sccp.KeepAlive)
    def _keepalive(self, msg: sccp.KeepAlive) -> Sequence[Output]:
        self.debug("keepalive", "KeepAlive received")
        if self.reg is not None:
            self.reg.keepalives += 1
        return self._send(KEEPALIVE_ACK)

    @_on(sccp.Unregister)
    def _unregister(self, msg: sccp.Unregister) -> Sequence[Output]:
        assert self.reg is not None
        self._end_calls()
        self._registry.unregister(self.reg.tag, normal=True, link=self._link)
        self.reg = None
        self.state = StationState.CLOSING
        return (*self._send(UNREGISTER_ACK), Close("unregistered"))

    @_on(sccp.CapabilitiesRes)
    def _capabilities(self, msg: sccp.CapabilitiesRes) -> Sequence[Output]:
        assert self.reg is not None
        self.reg.caps = len(msg.capabilities)
        return ()

    @_on(sccp.ButtonTemplateReq)
    def _button_template(self, msg: sccp.ButtonTemplateReq) -> Sequence[Output]:
        assert self.reg is not None
        defs = tuple(sccp.ButtonDefinition(b.index, sccp.ButtonType.LINE)
                     for b in _buttons(self._router.config, self.reg.tag))
        return self._send(sccp.ButtonTemplate(0, len(defs), len(defs), defs))

    @_on(sccp.SoftKeyTemplateReq)
    def _soft_key_template(self, msg: sccp.SoftKeyTemplateReq) -> Sequence[Output]:
        return self._send(SOFT_KEY_TEMPLATE)

    @_on(sccp.SoftKeySetReq)
    def _soft_key_sets(self, msg: sccp.SoftKeySetReq) -> Sequence[Output]:
        return self._send(SOFT_KEY_SET)

    @_on(sccp.LineStatReq)
    def _line_stat(self, msg: sccp.LineStatReq) -> Sequence[Output]:
        assert self.reg is not None
        config = self._router.config
        number, name = _line_label(config, _buttons(config, self.reg.tag), msg.line_number)
        return self._send(sccp.LineStat(msg.line_number, number, name, number))

    @_on(sccp.ForwardStatReq)
    def _forward_stat(self, msg: sccp.ForwardStatReq) -> Sequence[Output]:
        return self._send(sccp.ForwardStat(0, msg.line_number, 0, "", 0, "", 0, ""))

    @_on(sccp.SpeedDialStatReq)
    def _speed_dial_stat(self, msg: sccp.SpeedDialStatReq) -> Sequence[Output]:
        return self._send(sccp.SpeedDialStat(msg.speed_dial_number, "", ""))

    @_on(sccp.TimeDateReq)
    def _time_date(self, msg: sccp.TimeDateReq) -> Sequence[Output]:
        clock = self._router.clock  # the router's time of day, `clock set` included
        local = sccp.DefineTimeDate.at(clock.now_local())
        return self._send(dataclasses.replace(local,
                                              system_time=int(clock.now_utc().timestamp())))

    @_on(sccp.ConfigStatReq)
    def _config_stat(self, msg: sccp.ConfigStatReq) -> Sequence[Output]:
        assert self.reg is not None
        router = self._router
        buttons = _buttons(router.config, self.reg.tag)
        return self._send(sccp.ConfigStat(self.reg.device_name, 0, 1, "", router.hostname,
                                          len(buttons), 0))

    @_on(sccp.RegisterAvailableLines)
    def _available_lines(self, msg: sccp.RegisterAvailableLines) -> Sequence[Output]:
        assert self.reg is not None
        self.reg.available_lines = msg.max_num_of_avail_lines
        return self._send(*IDLE_SCREEN)  # the phone is ready: its idle screen

    @_on(sccp.IpPort, sccp.HeadsetStatus)
    def _noted(self, msg: sccp.SccpMessage) -> Sequence[Output]:
        return ()  # nothing to answer, nothing this lab shows

    @_on(sccp.Alarm)
    def _alarm(self, msg: sccp.Alarm) -> Sequence[Output]:
        # [D] `%IPPHONE-6-REG_ALARM: 22: Name=SEP000E325C9A43 Load=7.2(2.0) Last=Reset-Reset`
        # (the CME command reference's `debug capf-server` capture); the phone's text as sent
        self._registry.syslog(f"%IPPHONE-6-REG_ALARM: {_printable(msg.text)}")
        return ()

    # ---- calls (calls.py decides; specs/sccp.md 6) ---------------------------------------------

    @_on(sccp.OffHook)
    def _off_hook(self, msg: sccp.OffHook) -> Sequence[Output]:
        return self._reply(self._registry.calls.off_hook(self, msg.line_instance,
                                                         msg.call_reference))

    @_on(sccp.OnHook)
    def _on_hook(self, msg: sccp.OnHook) -> Sequence[Output]:
        return self._reply(self._registry.calls.on_hook(self, msg.line_instance,
                                                        msg.call_reference, "OnHook"))

    @_on(sccp.KeypadButton)
    def _keypad(self, msg: sccp.KeypadButton) -> Sequence[Output]:
        return self._reply(self._registry.calls.keypad(self, msg.button, msg.line_instance,
                                                       msg.call_reference, self))

    @_on(sccp.EnblocCall)
    def _enbloc(self, msg: sccp.EnblocCall) -> Sequence[Output]:
        return self._reply(self._registry.calls.enbloc(self, msg.called_party,
                                                       msg.line_instance, self))

    @_on(sccp.Stimulus)
    def _stimulus(self, msg: sccp.Stimulus) -> Sequence[Output]:
        if msg.stimulus != sccp.StimulusType.LINE:
            self.debug("detail", f"Stimulus {msg.stimulus} not handled")
            return ()
        return self._reply(self._registry.calls.off_hook(self, msg.stimulus_instance,
                                                         msg.call_reference))

    @_on(sccp.SoftKeyEvent)
    def _soft_key(self, msg: sccp.SoftKeyEvent) -> Sequence[Output]:
        calls, event = self._registry.calls, msg.soft_key_event
        line, ref = msg.line_instance, msg.call_reference
        if event == sccp.SoftKeyEventType.NEW_CALL:
            return self._reply(calls.off_hook(self, line, None))
        if event == sccp.SoftKeyEventType.ANSWER:
            return self._reply(calls.answer(self, line, ref))
        if event == sccp.SoftKeyEventType.END_CALL:
            return self._reply(calls.on_hook(self, line, ref, "EndCall"))
        if event == sccp.SoftKeyEventType.DIAL:  # dialling ends, as `#` does
            return self._reply(calls.keypad(self, sccp.KeypadKey.POUND, line, ref, self))
        if event == sccp.SoftKeyEventType.HOLD:
            return self._reply(calls.hold(self, line, ref))
        if event == sccp.SoftKeyEventType.RESUME:
            return self._reply(calls.resume(self, line, ref))
        if event == sccp.SoftKeyEventType.TRANSFER:
            return self._reply(calls.feature(self, line, ref, "transfer", self))
        if event == sccp.SoftKeyEventType.CONFRN:
            return self._reply(calls.feature(self, line, ref, "conference", self))
        self.debug("detail", f"SoftKeyEvent {event} not handled")
        return ()

    @_on(sccp.OpenReceiveChannelAck)
    def _channel_ack(self, msg: sccp.OpenReceiveChannelAck) -> Sequence[Output]:
        return self._reply(self._registry.calls.channel_ack(self, msg))


def _printable(text: str) -> str:
    """A phone's text as the router shows it: what a terminal would act on left out."""
    if text.isprintable():  # nearly always: every Register carries a firmware load name
        return text
    return "".join(ch for ch in text if ch.isprintable())
