"""Calls between phones, sans I/O: call legs, the calls joining two of them, and what each
phone is sent as a call goes from off-hook to on-hook (specs/sccp.md 6).

A leg is one line of one phone taking part in a call (the caller's from off-hook, the called
one's from ringing); a Call joins the caller's leg and the called leg. The registry owns one
CallControl (`router.phones.calls`). The Station of each connection hands it what its phone
did (off-hook, a digit, en-bloc digits, answer, on-hook, an OpenReceiveChannelAck, the
interdigit timer it was asked to run, the connection ending) and gets back `Sends`: the
messages for every station the event touched, in order. The Station writes its own in its
reply and pushes the others' to their connections. Nothing here has a socket, a clock or a
task: the interdigit timeout is a timer the Station asks its transport for.

Media: when a call connects, each phone is asked to open a receive channel
(OpenReceiveChannel); the address in each phone's OpenReceiveChannelAck goes to the other
phone in StartMediaTransmission, so RTP flows directly between the phones. When both ends are
registered encrypted (TLS with an encrypting suite), each stream gets fresh SRTP key material
(AES_CM_128_HMAC_SHA1_32: a 16-byte master key and a 14-byte salt, from `secrets`): the key a
phone decrypts with goes in its OpenReceiveChannel, the same key to the other phone, which
encrypts with it, in StartMediaTransmission (the pairing rule of specs/sccp.md 3.3). A key is
only ever put in a message to a phone whose connection encrypts; anything else gets the
all-zero block (algorithm 0).

Security of a call (CallInfo.callSecurityStatus, specs/sccp.md 3.3 and 7): encrypted (lock)
only when keys were generated for its media, authenticated (shield) when both ends are
authenticated or encrypted devices over TLS, otherwise not authenticated. No secure or
non-secure indication tone is played: that is Unified CM's Secure Tone feature for "protected"
phones (its service parameter off by default); neither CME's security chapter nor the NSA guide
has it, so the lock and shield are the only indication, as on CME.

A call nobody answers rings until the caller hangs up or one side's connection ends: without
`call-forward noan` CME does not end it (the ephone-dn's virtual voice port shows "Ringing Time
Out is set to 180 s", which this lab does not apply [U]).

Hold, transfer and conference (NSA guide 2). Hold (the Hold soft key) closes both phones' media;
the holding phone shows CallState Hold, the held one hears music on hold: the router opens a
receive channel on it without keys and plays the MOH pattern to it from a router UDP socket
(`RouterMedia`, run by the SCCP service), so it shows non-secure while it hears it. Resume
reopens the direct media with fresh keys. Transfer and Confrn put the call on hold, set its leg
aside (`Leg.held` on the new consultation leg) and give dial tone on the same line; pressed
again, Transfer joins the held party to the party consulted (ringing: blind; connected:
consultative), Confrn makes a three-way software conference mixed by the router in G.711,
plain RTP and so non-secure; when a party leaves, the other two return to a direct call,
secure again when both are encrypted (fresh keys). A phone hanging up in any of these ends its
own legs; the other parties get on-hook, or a direct call, or (the consulted party gone) the
held call back on the transferring phone's line.

Message order and contents follow specs/sccp.md 6 (the probe's call); the lamp, soft-key and
prompt messages it does not list, and the prompts' wording, are this lab's choice [U].
"""

from __future__ import annotations

import functools
import itertools
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cucme_lab.router.telephony.dialpeers import NO_ROUTE, Route
from cucme_lab.router.telephony.history import CallHistory, Cause
from cucme_lab.wire import sccp

if TYPE_CHECKING:
    from datetime import datetime

    from cucme_lab.router.telephony.dialplan import Verdict
    from cucme_lab.router.telephony.registrations import Registration
    from cucme_lab.router.telephony.tollplan import Refusal, TollPlan

INTERDIGIT_SECONDS = 10.0  # CME's `timeouts interdigit` default
MAX_DIGITS = 23  # a directory number field holds at most 23 characters
PACKET_MS = 20
CODEC = sccp.MediaPayload.G711_ULAW_64K
NO_KEY = sccp.MediaEncryptionKeyInfo()  # what a non-secure stream carries
SRTP_ALGORITHM = sccp.EncryptionAlgorithm.AES_CM_128_HMAC_SHA1_32
SRTP_KEY_BYTES, SRTP_SALT_BYTES = 16, 14
FIRST_REFERENCE = 0x01000001  # CME's call references look like this [U]
FIRST_PARTY = 0x01000001
EPHONE_DN_PEER_BASE = 20000  # CME's dial-peer for ephone-dn N: 20000 + N
NOAN_SECONDS = 20  # `call-forward noan` without `timeout`: CME rings 20 seconds
_R = TypeVar("_R")

# Prompts (DisplayPromptStatus text). Plain text, like the idle screen's; the words are the
# phones' own labels (Wireshark's DisplayLabels table). "Unknown Number" for a number nothing
# answers to is chan-sccp's choice for an unroutable number [U].
PROMPT_ENTER = "Enter number"
PROMPT_RING_OUT = "Ring Out"
PROMPT_CONNECTED = "Connected"
PROMPT_BUSY = "Busy"
PROMPT_UNKNOWN = "Unknown Number"
PROMPT_HOLD = "Hold"  # [U]
PROMPT_CONFERENCE = "Conference"  # [U]
CONFERENCE_LABEL = "Conference"  # the other party a conference's CallInfo names [U]

_KEYS = {**{i: str(i) for i in range(10)}, 0x0A: "A", 0x0B: "B", 0x0C: "C", 0x0D: "D",
         sccp.KeypadKey.STAR: "*", sccp.KeypadKey.POUND: "#", sccp.KeypadKey.PLUS: "+"}


class LegState(StrEnum):
    """Where one leg is; the names are those `lab.json` and `:wait` use."""

    OFFHOOK = "offhook"
    DIALING = "dialing"
    RINGOUT = "ringout"
    RINGIN = "ringin"
    CONNECTED = "connected"
    HOLD = "hold"  # this phone put the call on hold
    BUSY = "busy"
    REORDER = "reorder"


_COLLECTING = (LegState.OFFHOOK, LegState.DIALING)


class Endpoint(Protocol):
    """What a call needs of the Station at each end (station.py implements it)."""

    reg: Registration | None
    legs: dict[int, Leg]  # by line instance

    def push(self, messages: Sequence[sccp.SccpMessage]) -> None:
        """Write these to the phone from outside its own reply (another phone's event)."""

    def debug(self, kind: str, text: str) -> None: ...

    def arm_timer(self, seconds: float | None) -> None:
        """Ask the transport for `timer_expired` in `seconds` (configured ones); None stops."""

    def line_label(self, line: int) -> tuple[str, str] | None:
        """(number, name) of the directory number on button `line`; None when it has none."""

    def lines(self) -> list[int]:
        """The phone's buttons that hold a directory number, in order."""


class RouterMedia(Protocol):
    """The router as a media party (services/media_relay.py): music on hold and the software
    conference's mixer, plain RTP from router UDP sockets. `owner` is the leg served."""

    address: IPv4Address  # the configured address phones send a conference's audio to

    def play(self, owner: object, dest: tuple[IPv4Address | IPv6Address, int]) -> None:
        """Music on hold to the phone's receive address `dest`."""

    def join(self, bridge: int, owner: object, dest: tuple[IPv4Address | IPv6Address, int]
             ) -> int:
        """A conference port for `owner` in `bridge`, sending the mix to `dest`; its port."""

    def release(self, owner: object) -> None:
        """Stop what plays for `owner` and close its socket."""


class Directory(Protocol):
    """Where dialled digits lead: the dial plan and the registered phones (the Station asks
    the registry)."""

    def match(self, digits: str) -> Verdict: ...

    def reach(self, dn: int) -> tuple[Endpoint, int] | None:
        """The station and line of a registered phone holding ephone-dn `dn`."""

    def toll(self) -> TollPlan:
        """The dial-peers, COR and after-hours rules of the configuration (tollplan.py)."""

    def now(self) -> datetime:
        """The router's local time, which after-hours blocking is judged by."""

    def trunk(self, port: str) -> Endpoint | None:
        """The voice port `port` as a call party (trunks.py), None when it does not exist."""


@dataclass(eq=False)
class Leg:
    """One line of one phone in a call."""

    station: Endpoint
    line: int
    ref: int  # callReference on this phone
    number: str  # this line's directory number
    name: str  # and its name ("" when none is configured)
    encrypting: bool  # registered encrypted over TLS with an encrypting suite
    authenticated: bool  # registered authenticated or encrypted over TLS
    state: LegState = LegState.OFFHOOK
    digits: str = ""
    call: Call | None = None
    tone: int | None = None  # the tone playing, to stop it
    party_id: int = 0  # passThruPartyID of this phone's media
    rx_key: sccp.MediaEncryptionKeyInfo = NO_KEY  # the key this phone decrypts with
    rx_address: tuple[IPv4Address | IPv6Address, int] | None = None  # from its ack
    receiving: bool = False  # OpenReceiveChannel sent, not closed yet
    transmitting: bool = False  # StartMediaTransmission sent, not stopped yet
    media: str = ""  # what its receive channel is for: "direct", "moh" or "bridge"
    conference: Conference | None = None  # the software conference it is in
    held: Leg | None = None  # on a consultation leg: this phone's call set aside
    feature: str = ""  # and why: "transfer" or "conference"
    consult: Leg | None = None  # on a leg set aside: the consultation leg
    gone: bool = False  # cleared
    peer: int = 0  # the dial-peer tag a call through a voice port went out by
    noan: str = ""  # ringing: where `call-forward noan` sends the call when the timer ends
    cause: Cause = Cause.NORMAL  # why it ends, for the call history

    @property
    def aside(self) -> bool:
        return self.consult is not None


@dataclass(eq=False)
class Call:
    """Two legs joined: the caller's and the called line's. `ident` is the conferenceID."""

    ident: int
    caller: Leg
    called: Leg
    keys: bool = False  # SRTP key material was generated and sent for its media

    def other(self, leg: Leg) -> Leg:
        return self.called if leg is self.caller else self.caller

    @property
    def security(self) -> sccp.CallSecurityStatus:
        """What the phones show: encrypted only once its media has keys (specs/sccp.md 7);
        non-secure while one side hears music on hold (NSA guide 2)."""
        if self.caller.media == "moh" or self.called.media == "moh":
            return sccp.CallSecurityStatus.NOT_AUTHENTICATED
        if self.keys:
            return sccp.CallSecurityStatus.ENCRYPTED
        if self.caller.authenticated and self.called.authenticated:
            return sccp.CallSecurityStatus.AUTHENTICATED
        return sccp.CallSecurityStatus.NOT_AUTHENTICATED


@dataclass(eq=False)
class Conference:
    """A three-way software conference: the router mixes the parties' plain RTP."""

    ident: int
    legs: list[Leg]
    security = sccp.CallSecurityStatus.NOT_AUTHENTICATED  # never secure (NSA guide 2)


class Sends:
    """The messages one event produced, per station, in order."""

    __slots__ = ("_by",)

    def __init__(self) -> None:
        self._by: dict[Endpoint, list[sccp.SccpMessage]] = {}

    def add(self, station: Endpoint, *messages: sccp.SccpMessage) -> None:
        self._by.setdefault(station, []).extend(messages)

    def reply(self, station: Endpoint) -> list[sccp.SccpMessage]:
        """Push every other station's messages; return `station`'s own, to write itself."""
        mine = self._by.pop(station, [])
        for other, messages in self._by.items():
            other.push(messages)
        self._by.clear()
        return mine


def new_key() -> sccp.MediaEncryptionKeyInfo:
    """Fresh SRTP master key and salt for one stream."""
    return sccp.MediaEncryptionKeyInfo(SRTP_ALGORITHM, secrets.token_bytes(SRTP_KEY_BYTES),
                                       secrets.token_bytes(SRTP_SALT_BYTES))


def _fit(text: str, size: int) -> str:
    """`text` as a char[size] field holds it (latin-1, NUL-terminated)."""
    return text.encode("latin-1", "replace")[: size - 1].decode("latin-1")


def security_name(status: int) -> str:
    """`non-secure`, `authenticated` or `encrypted`, as lab.json and `show ephone` say."""
    return {sccp.CallSecurityStatus.ENCRYPTED: "encrypted",
            sccp.CallSecurityStatus.AUTHENTICATED: "authenticated"}.get(status, "non-secure")


def _event(method: Callable[..., _R]) -> Callable[..., _R]:
    """A phone's call event: once handled, whoever watches the calls hears of it."""
    @functools.wraps(method)
    def handled(self: CallControl, *args: Any, **kwargs: Any) -> _R:
        result = method(self, *args, **kwargs)
        for listener in self.listeners:
            listener()
        return result
    return handled


class CallControl:
    """Every call on the router; each method is one phone's event and returns its Sends.
    `listeners` are called after each event (the dashboard: the router is the only one that
    sees the calls of phones simulated in other processes)."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[], None]] = []
        self.calls: dict[int, Call] = {}
        self._refs = itertools.count(FIRST_REFERENCE)
        self._parties = itertools.count(FIRST_PARTY)
        self._idents = itertools.count(1)
        self.conferences: dict[int, Conference] = {}
        self._media: list[RouterMedia] = []  # the SCCP services' router media, newest last
        self.history: CallHistory | None = None  # the call tables and CDRs (history.py)

    # ---- the router's media party ---------------------------------------------------------

    def attach_media(self, media: RouterMedia) -> None:
        """A service offers the router's media (music on hold, conference mixing)."""
        self._media.append(media)

    def detach_media(self, media: RouterMedia) -> None:
        if media in self._media:
            self._media.remove(media)

    @property
    def media(self) -> RouterMedia | None:
        return self._media[-1] if self._media else None

    # ---- finding the leg an event is for ---------------------------------------------------

    @staticmethod
    def _by_ref(st: Endpoint, ref: int, what: str) -> Leg | None:
        for leg in st.legs.values():
            if leg.ref == ref:
                return leg
        st.debug("detail", f"{what} for unknown call reference {ref}, ignored")
        return None

    @staticmethod
    def _collecting(st: Endpoint) -> Leg | None:
        return next((leg for leg in st.legs.values() if leg.state in _COLLECTING), None)

    # ---- events from a phone ------------------------------------------------------------------

    @_event
    def off_hook(self, st: Endpoint, line: int | None, ref: int | None) -> Sends:
        """Handset lifted (OffHook, NewCall): answer a ringing line, else dial tone."""
        out = Sends()
        if ref:
            leg = self._by_ref(st, ref, "OffHook")
            if leg is not None and leg.state is LegState.RINGIN:
                self._answer(leg, out)
            elif leg is not None:
                st.debug("detail", f"OffHook for a call that is {leg.state}, ignored")
            return out
        if line:
            leg = st.legs.get(line)
        else:
            leg = next((x for x in st.legs.values() if x.state is LegState.RINGIN), None)
        if leg is not None:
            if leg.state is LegState.RINGIN:
                self._answer(leg, out)
            else:
                st.debug("detail", f"OffHook on line {leg.line}, which is {leg.state}, ignored")
            return out
        self._new_leg(st, line, out, dial_tone=True)
        return out

    def _new_leg(self, st: Endpoint, line: int | None, out: Sends, dial_tone: bool
                 ) -> Leg | None:
        """A caller's leg on `line` (None: the first free line) with the dial-tone screen."""
        if not line:
            line = next((n for n in st.lines() if n not in st.legs), 0)
            if not line:
                st.debug("detail", "off-hook with no free line, ignored")
                return None
        label = st.line_label(line)
        if label is None:
            st.debug("detail", f"off-hook on line {line}, which has no directory number, "
                     "ignored")
            return None
        reg = st.reg
        assert reg is not None
        leg = Leg(st, line, next(self._refs), label[0], label[1], encrypting=_encrypting(reg),
                  authenticated=_authenticated(reg))
        st.legs[line] = leg
        ref = leg.ref
        out.add(st, sccp.SetLamp(sccp.StimulusType.LINE, line, sccp.LampMode.ON),
                sccp.CallState(sccp.CallStateCode.OFF_HOOK, line, ref),
                sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.OFF_HOOK),
                sccp.ActivateCallPlane(line),
                sccp.DisplayPromptStatus(0, PROMPT_ENTER, line, ref))
        if dial_tone:
            out.add(st, sccp.StartTone(sccp.Tone.INSIDE_DIAL, sccp.ToneDirection.USER, line, ref))
            leg.tone = sccp.Tone.INSIDE_DIAL
            st.arm_timer(INTERDIGIT_SECONDS)  # nothing dialled in time: reorder
        return leg

    @_event
    def keypad(self, st: Endpoint, button: int, line: int | None, ref: int | None,
               directory: Directory) -> Sends:
        """One KeypadButton: a digit while collecting; `#` ends dialling."""
        out = Sends()
        key = _KEYS.get(button)
        if ref:
            leg = self._by_ref(st, ref, "KeypadButton")
        elif line:
            leg = st.legs.get(line)
        else:
            leg = self._collecting(st) or next(iter(st.legs.values()), None)
        if leg is None:
            if not ref:
                st.debug("detail", "KeypadButton with no call, ignored")
            return out
        if leg.state not in _COLLECTING:
            st.debug("detail", f"KeypadButton while {leg.state}, ignored")
            return out
        if key is None:
            st.debug("detail", f"KeypadButton {button} is no key, ignored")
            return out
        if key == "#":
            self._route(leg, out, directory, final=True)
            return out
        if leg.state is LegState.OFFHOOK:
            self._stop_tone(leg, out)
            out.add(st, sccp.SelectSoftKeys(leg.line, leg.ref,
                                            sccp.SoftKeySetIndex.DIGITS_FOLLOWING))
            leg.state = LegState.DIALING
        leg.digits += key
        self._route(leg, out, directory, final=False)
        return out

    @_event
    def enbloc(self, st: Endpoint, number: str, line: int | None, directory: Directory
               ) -> Sends:
        """EnblocCall: the whole number at once (off-hook first if the phone was idle)."""
        out = Sends()
        leg = st.legs.get(line) if line else self._collecting(st)
        if leg is None:
            leg = self._new_leg(st, line, out, dial_tone=False)
            if leg is None:
                return out
        if leg.state not in _COLLECTING:
            st.debug("detail", f"EnblocCall while {leg.state}, ignored")
            return out
        leg.digits = number
        leg.state = LegState.DIALING
        self._route(leg, out, directory, final=True)
        return out

    @_event
    def answer(self, st: Endpoint, line: int | None, ref: int | None) -> Sends:
        """The Answer soft key."""
        out = Sends()
        leg = self._by_ref(st, ref, "Answer") if ref else (
            st.legs.get(line) if line else
            next((x for x in st.legs.values() if x.state is LegState.RINGIN), None))
        if leg is None or leg.state is not LegState.RINGIN:
            if leg is not None or not ref:
                st.debug("detail", "Answer with no call ringing, ignored")
            return out
        self._answer(leg, out)
        return out

    @_event
    def on_hook(self, st: Endpoint, line: int | None, ref: int | None, what: str) -> Sends:
        """OnHook or EndCall: the phone's leg ends, and its call for the other party too."""
        out = Sends()
        if ref:
            leg = self._by_ref(st, ref, what)
        elif line:
            leg = st.legs.get(line)
        else:
            # the handset goes down: the call it holds (not one still ringing in)
            leg = next((x for x in st.legs.values() if x.state is not LegState.RINGIN), None)
        if leg is None:
            if not ref:
                st.debug("detail", f"{what} with no call, ignored")
            return out
        if leg.state is LegState.RINGIN:
            st.debug("detail", f"{what} on a ringing line, ignored")
            return out
        self._end(leg, out, f"{what} from line {leg.line}")
        return out

    @_event
    def timer_expired(self, st: Endpoint, directory: Directory) -> Sends:
        """The interdigit timeout passed: route what was dialled (or reorder)."""
        out = Sends()
        leg = self._collecting(st)
        if leg is not None:
            st.debug("detail", f"interdigit timeout on line {leg.line} after "
                     f"'{leg.digits}'")
            self._route(leg, out, directory, final=True)
            return out
        # the caller's phone runs the ring-no-answer timer of the line it rings
        caller = next((x for x in st.legs.values() if x.state is LegState.RINGOUT
                       and x.call is not None and x.call.called.noan), None)
        if caller is not None and caller.call is not None:
            ringing = caller.call.called
            st.debug("detail", f"no answer on {ringing.number}: forwarded to {ringing.noan}")
            self.calls.pop(caller.call.ident, None)
            caller.call = None
            ringing.cause = Cause.NO_ANSWER
            self._clear(ringing, out)
            self._forward(caller, ringing.noan, out, directory, 1)
        return out

    @_event
    def channel_ack(self, st: Endpoint, msg: sccp.OpenReceiveChannelAck) -> Sends:
        """A phone's receive address: the other phone is told to send there."""
        out = Sends()
        if msg.call_reference:
            leg = self._by_ref(st, msg.call_reference, "OpenReceiveChannelAck")
        else:
            leg = next((x for x in st.legs.values()
                        if x.party_id and x.party_id == msg.pass_thru_party_id), None)
            if leg is None:
                st.debug("detail", f"OpenReceiveChannelAck for unknown party "
                         f"{msg.pass_thru_party_id}, ignored")
        if leg is None:
            return out
        call = leg.call
        if (call is None and leg.conference is None) or not leg.receiving:
            st.debug("detail", "OpenReceiveChannelAck for no open channel, ignored")
            return out
        if msg.status != sccp.MediaStatus.OK:
            st.debug("detail", f"phone could not open its receive channel (status "
                     f"{msg.status}): no media to it")
            return out
        reg = st.reg
        if reg is None or str(msg.ip_addr) != reg.ip:
            st.debug("detail", f"OpenReceiveChannelAck with address {msg.ip_addr}, which is "
                     f"not the phone's ({reg.ip if reg else '-'}): call ended")
            self._end(leg, out, "a media address the phone does not own")
            return out
        if msg.pass_thru_party_id and msg.pass_thru_party_id != leg.party_id:
            st.debug("detail", f"OpenReceiveChannelAck for party {msg.pass_thru_party_id}, "
                     "a channel since closed, ignored")
            return out
        if leg.rx_address is not None:
            st.debug("detail", "second OpenReceiveChannelAck for the channel, ignored")
            return out
        leg.rx_address = dest = (msg.ip_addr, msg.port)
        media = self.media
        if leg.media == "moh":
            if media is not None:
                media.play(leg, dest)
            return out
        if leg.media == "bridge":
            if media is None or leg.conference is None:
                return out
            port = media.join(leg.conference.ident, leg, dest)
            leg.transmitting = True
            out.add(st, sccp.StartMediaTransmission(
                conference_id=leg.conference.ident, pass_thru_party_id=leg.party_id,
                remote_ip=media.address, remote_port=port, ms_packet_size=PACKET_MS,
                compression_type=CODEC, call_reference=leg.ref, key_info=NO_KEY))
            return out
        assert call is not None
        other = call.other(leg)
        if other.media != "direct":
            return out  # the other side is held: its media come back on Resume
        other.transmitting = True
        out.add(other.station, sccp.StartMediaTransmission(
            conference_id=call.ident, pass_thru_party_id=other.party_id,
            remote_ip=msg.ip_addr, remote_port=msg.port, ms_packet_size=PACKET_MS,
            compression_type=CODEC, call_reference=other.ref,
            key_info=_key_for(other, leg.rx_key)))
        return out

    @_event
    def far_end(self, st: Endpoint, ref: int, cause: Cause) -> Sends:
        """The far end behind a voice port is busy, does not answer, or hangs up."""
        out = Sends()
        leg = self._by_ref(st, ref, "far-end release")
        if leg is None or leg.gone:
            return out
        call = leg.call
        if call is not None and leg.state is LegState.RINGIN:
            # refused before an answer: busy tone, or reorder when the network gave up
            caller = call.other(leg)
            self.calls.pop(call.ident, None)
            leg.cause = cause
            caller.call = None
            self._clear(leg, out)
            if cause is Cause.BUSY:
                self._busy(caller, out)
            else:
                self._reorder(caller, out)
            return out
        leg.cause = cause
        self._end(leg, out, f"the far end released ({cause.name.lower()})")
        return out

    @_event
    def station_gone(self, st: Endpoint) -> None:
        """The phone's connection ended mid-call: every other party gets on-hook (or, from a
        conference, a direct call)."""
        out = Sends()
        for leg in list(st.legs.values()):
            self._end(leg, out, "the phone left")
        out.reply(st)  # its own messages have nowhere to go

    @_event
    def hold(self, st: Endpoint, line: int | None, ref: int | None) -> Sends:
        """The Hold soft key: the other party hears music on hold."""
        out = Sends()
        leg = self._event_leg(st, line, ref, "Hold")
        if leg is None:
            return out
        call = leg.call
        if call is None or leg.state is not LegState.CONNECTED:
            st.debug("detail", f"Hold while {leg.state}"
                     f"{' in a conference' if leg.conference else ''}, ignored")
            return out
        if call.other(leg).state is LegState.HOLD:
            st.debug("detail", "Hold on a call the other side holds, ignored")
            return out
        self._hold(leg, out)
        return out

    @_event
    def resume(self, st: Endpoint, line: int | None, ref: int | None) -> Sends:
        """The Resume soft key: both phones back to direct media, with fresh keys."""
        out = Sends()
        leg = self._event_leg(st, line, ref, "Resume")
        if leg is None:
            return out
        call = leg.call
        if call is None or leg.state is not LegState.HOLD:
            st.debug("detail", f"Resume while {leg.state}, ignored")
            return out
        other = call.other(leg)
        self._close_media(leg, out)
        self._close_media(other, out)
        st.debug("detail", f"call {call.ident}: resumed")
        self._connect(call, out)
        return out

    @_event
    def feature(self, st: Endpoint, line: int | None, ref: int | None, kind: str,
                directory: Directory) -> Sends:
        """Transfer or Confrn ("transfer", "conference"): pressed on a call, it is held and set
        aside and the line gets dial tone; pressed on the consultation, it completes."""
        out = Sends()
        what = "Transfer" if kind == "transfer" else "Confrn"
        leg = self._event_leg(st, line, ref, what)
        if leg is None:
            return out
        held = leg.held
        if held is not None:
            if leg.feature != kind:
                st.debug("detail", f"{what} during a {leg.feature}, ignored")
            elif kind == "transfer":
                self._complete_transfer(leg, held, out, directory)
            else:
                self._complete_conference(leg, held, out)
            return out
        call = leg.call
        if call is None or leg.state not in (LegState.CONNECTED, LegState.HOLD) or \
                (leg.state is LegState.CONNECTED and call.other(leg).state is LegState.HOLD):
            st.debug("detail", f"{what} while {leg.state}"
                     f"{' in a conference' if leg.conference else ''}, ignored")
            return out
        if leg.state is LegState.CONNECTED:
            self._hold(leg, out)
        del st.legs[leg.line]
        consult = self._new_leg(st, leg.line, out, dial_tone=True)
        if consult is None:  # the line lost its number meanwhile: back as it was
            st.legs[leg.line] = leg
            return out
        consult.held, consult.feature, leg.consult = leg, kind, consult
        st.debug("detail", f"{what}: call {call.ident} on hold, line {leg.line} dialling")
        return out

    def _event_leg(self, st: Endpoint, line: int | None, ref: int | None, what: str
                   ) -> Leg | None:
        leg = self._by_ref(st, ref, what) if ref else (
            st.legs.get(line) if line else
            next((x for x in st.legs.values() if x.state is not LegState.RINGIN), None))
        if leg is None and not ref:
            st.debug("detail", f"{what} with no call, ignored")
        return leg

    # ---- steps ---------------------------------------------------------------------------------

    def _route(self, leg: Leg, out: Sends, directory: Directory, final: bool) -> None:
        """Place the call once the digits reach a number and no longer one is possible
        (or dialling ended), wait for more while one is, else reorder."""
        st = leg.station
        if len(leg.digits) > MAX_DIGITS:
            self._reorder(leg, out)
            return
        verdict = directory.match(leg.digits) if leg.digits else None
        route = directory.toll().peers.route(leg.digits, final=final) if leg.digits else \
            NO_ROUTE
        more = (verdict is not None and verdict.more) or route.more
        if verdict is not None and verdict.dn is not None and (final or not more):
            self._place(leg, verdict.dn, out, directory)
        elif route.peer is not None and (final or not more):
            self._place_trunk(leg, route, out, directory)
        elif more and not final:
            st.arm_timer(INTERDIGIT_SECONDS)
        else:
            self._record_refused(leg, leg.digits, Cause.UNASSIGNED, directory)
            self._reorder(leg, out)

    def _place(self, leg: Leg, dn: int, out: Sends, directory: Directory,
               forwarded: int = 0) -> None:
        st = leg.station
        st.arm_timer(None)
        plan = directory.toll()
        policy = plan.by_tag.get(dn)
        refusal = plan.judge(leg.digits, leg.number, policy.cor_outgoing if policy else None,
                             directory.now(), f"ephone-dn {dn}", _ephone_of(leg))
        if refusal is not None:
            self._refuse(leg, out, refusal, directory)
            return
        if policy is not None and policy.forward_all is not None and forwarded < 3:
            st.debug("detail", f"ephone-dn {dn} forwards all calls to "
                     f"{policy.forward_all.number}")
            self._forward(leg, policy.forward_all.number, out, directory, forwarded)
            return
        reached = directory.reach(dn)
        if reached is None:
            st.debug("detail", f"'{leg.digits}' is not on a registered phone")
            self._record_refused(leg, leg.digits, Cause.UNASSIGNED, directory)
            self._reorder(leg, out)
            return
        far, far_line = reached
        label = far.line_label(far_line)
        if label is None:
            self._reorder(leg, out)
            return
        if far_line in far.legs:
            if policy is not None and policy.forward_busy is not None and forwarded < 3:
                st.debug("detail", f"ephone-dn {dn} is busy: forwarded to "
                         f"{policy.forward_busy.number}")
                self._forward(leg, policy.forward_busy.number, out, directory, forwarded)
                return
            self._record_refused(leg, leg.digits, Cause.BUSY, directory)
            self._busy(leg, out)
            return
        far_reg = far.reg
        assert far_reg is not None
        called = Leg(far, far_line, next(self._refs), label[0], label[1],
                     encrypting=_encrypting(far_reg), authenticated=_authenticated(far_reg),
                     state=LegState.RINGIN)
        if policy is not None and policy.forward_noan is not None and forwarded < 3:
            called.noan = policy.forward_noan.number
            st.arm_timer(policy.forward_noan.timeout or NOAN_SECONDS)
        self._ring(leg, called, out, directory, EPHONE_DN_PEER_BASE + dn,
                   f"50/0/{dn}")

    def _forward(self, leg: Leg, number: str, out: Sends, directory: Directory,
                 forwarded: int) -> None:
        """Call forward: the caller's call goes on to `number`, judged again as the caller's
        own call (its COR and the after-hours rules hold through the forward)."""
        leg.digits = number
        verdict = directory.match(number)
        if verdict.dn is not None:
            self._place(leg, verdict.dn, out, directory, forwarded + 1)
            return
        route = directory.toll().peers.route(number, final=True)
        if route.peer is not None:
            self._place_trunk(leg, route, out, directory)
            return
        self._record_refused(leg, number, Cause.UNASSIGNED, directory)
        self._reorder(leg, out)

    def _place_trunk(self, leg: Leg, route: Route, out: Sends, directory: Directory) -> None:
        """A call out of a voice port by the pots dial-peer the digits reached."""
        st = leg.station
        st.arm_timer(None)
        peer = route.peer
        assert peer is not None
        plan = directory.toll()
        refusal = plan.judge(leg.digits, leg.number, peer.corlist_outgoing, directory.now(),
                             f"dial-peer {peer.tag}", _ephone_of(leg))
        if refusal is not None:
            self._refuse(leg, out, refusal, directory)
            return
        far = directory.trunk(peer.port) if peer.port else None
        if far is None or far.reg is None:
            st.debug("detail", f"dial-peer {peer.tag}: voice-port {peer.port or '(none)'} "
                     "is not in service")
            self._record_refused(leg, route.outpulse, Cause.NO_CIRCUIT, directory)
            self._reorder(leg, out)
            return
        in_use = sum(1 for c in self.calls.values() if peer.tag in (c.caller.peer, c.called.peer))
        line = far.lines()[0]
        if line in far.legs or (peer.max_conn is not None and in_use >= peer.max_conn):
            st.debug("detail", f"dial-peer {peer.tag}: voice-port {peer.port} busy")
            self._record_refused(leg, route.outpulse, Cause.NO_CIRCUIT, directory)
            self._busy(leg, out)
            return
        called = Leg(far, line, next(self._refs), route.outpulse, "", encrypting=False,
                     authenticated=False, state=LegState.RINGIN, peer=peer.tag)
        st.debug("detail", f"dial-peer {peer.tag} matched '{leg.digits}': voice-port "
                 f"{peer.port} outpulses '{route.outpulse}'")
        self._ring(leg, called, out, directory, peer.tag, peer.port or "")

    def _refuse(self, leg: Leg, out: Sends, refusal: Refusal, directory: Directory) -> None:
        """A call the rules forbid: a debug line naming the rule, the history, reorder."""
        leg.station.debug("detail", f"call to '{leg.digits}' from {leg.number} refused by "
                          f"{refusal.rule}")
        self._record_refused(leg, leg.digits, Cause.REJECTED, directory)
        self._reorder(leg, out)

    def _record_refused(self, leg: Leg, digits: str, cause: Cause, directory: Directory
                        ) -> None:
        """The caller's leg of a call that never rang anywhere, straight into the history."""
        history = self.history
        if history is None:
            return
        verdict = directory.match(leg.number)
        dn = verdict.dn if verdict.dn is not None else 0
        owner = object()  # its own record: the leg may still have its call's
        history.start(owner, 0, history.new_connection(), leg.number,
                      EPHONE_DN_PEER_BASE + dn, f"50/0/{dn}", originate=False)
        history.end(owner, cause)

    def _ring(self, leg: Leg, called: Leg, out: Sends, directory: Directory, peer_id: int,
              port: str) -> None:
        """The called side rings; the caller hears ring-back."""
        st, far = leg.station, called.station
        far_line = called.line
        far.legs[far_line] = called
        call = Call(next(self._idents), leg, called)
        leg.call = called.call = call
        self.calls[call.ident] = call
        st.debug("detail", f"call {call.ident}: {leg.number} -> {called.number} "
                 f"('{leg.digits}'), ringing")
        history = self.history
        if history is not None:
            connection = history.new_connection()
            verdict = directory.match(leg.number)
            dn = verdict.dn if verdict.dn is not None else 0
            history.start(leg, call.ident, connection, leg.number, EPHONE_DN_PEER_BASE + dn,
                          f"50/0/{dn}", originate=False)
            history.start(called, call.ident, connection, called.number, peer_id, port,
                          originate=True)
        self._stop_tone(leg, out)
        leg.state = LegState.RINGOUT
        line, ref = leg.line, leg.ref
        out.add(st, sccp.CallState(sccp.CallStateCode.PROCEED, line, ref),
                _call_info(leg, call),
                sccp.DialedNumber(leg.digits, line, ref),
                sccp.CallState(sccp.CallStateCode.RING_OUT, line, ref),
                sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.RING_OUT),
                sccp.DisplayPromptStatus(0, PROMPT_RING_OUT, line, ref),
                sccp.StartTone(sccp.Tone.ALERTING, sccp.ToneDirection.USER, line, ref))
        leg.tone = sccp.Tone.ALERTING
        line, ref = called.line, called.ref
        out.add(far, sccp.CallState(sccp.CallStateCode.RING_IN, line, ref),
                _call_info(called, call),
                sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.RING_IN),
                sccp.DisplayPromptStatus(0, _fit(f"From {leg.number}", 32), line, ref),
                sccp.SetLamp(sccp.StimulusType.LINE, line, sccp.LampMode.BLINK),
                sccp.SetRinger(sccp.RingMode.INSIDE_RING, sccp.RingDuration.NORMAL, line, ref))

    def _answer(self, called: Leg, out: Sends) -> None:
        call = called.call
        assert call is not None
        if called.noan:  # answered in time: no forward
            called.noan = ""
            call.caller.station.arm_timer(None)
        line, ref = called.line, called.ref
        out.add(called.station,
                sccp.SetRinger(sccp.RingMode.RING_OFF, sccp.RingDuration.NORMAL, line, ref),
                sccp.SetLamp(sccp.StimulusType.LINE, line, sccp.LampMode.ON),
                sccp.CallState(sccp.CallStateCode.OFF_HOOK, line, ref),
                sccp.ActivateCallPlane(line))
        self._stop_tone(call.caller, out)
        self._connect(call, out)

    def _connect(self, call: Call, out: Sends) -> None:
        """Both legs connected with direct media: fresh keys when both ends encrypt."""
        caller, called = call.caller, call.called
        call.keys = caller.encrypting and called.encrypting
        for leg in (caller, called):
            leg.rx_key = new_key() if call.keys else NO_KEY
            leg.state = LegState.CONNECTED
            if self.history is not None:
                self.history.connected(leg)
            leg.party_id = next(self._parties)
            leg.receiving = True
            leg.media = "direct"
        caller.station.debug("detail", f"call {call.ident}: connected, "
                             f"{security_name(call.security)}")
        out.add(called.station, *self._connected(called, call))
        out.add(caller.station, *self._connected(caller, call))

    @staticmethod
    def _connected(leg: Leg, call: Call) -> Iterable[sccp.SccpMessage]:
        line, ref = leg.line, leg.ref
        soft_keys = sccp.SoftKeySetIndex.CONNECTED_TRANSFERABLE if leg.held else \
            sccp.SoftKeySetIndex.CONNECTED
        return (sccp.CallState(sccp.CallStateCode.CONNECTED, line, ref),
                _call_info(leg, call),
                sccp.SelectSoftKeys(line, ref, soft_keys),
                sccp.DisplayPromptStatus(0, PROMPT_CONNECTED, line, ref),
                sccp.OpenReceiveChannel(
                    conference_id=call.ident, pass_thru_party_id=leg.party_id,
                    ms_packet_size=PACKET_MS, compression_type=CODEC, call_reference=ref,
                    key_info=_key_for(leg, leg.rx_key)))

    def _hold(self, leg: Leg, out: Sends) -> None:
        """`leg`'s phone holds its call: media closed, the other side hears music on hold."""
        call = leg.call
        assert call is not None
        other = call.other(leg)
        self._close_media(leg, out)
        self._close_media(other, out)
        call.keys = False
        leg.state = LegState.HOLD
        leg.station.debug("detail", f"call {call.ident}: on hold, music on hold to "
                          f"{other.number}")
        line, ref = leg.line, leg.ref
        out.add(leg.station, sccp.CallState(sccp.CallStateCode.HOLD, line, ref),
                sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.ON_HOLD),
                sccp.DisplayPromptStatus(0, PROMPT_HOLD, line, ref))
        self._music_on_hold(other, out)

    def _music_on_hold(self, leg: Leg, out: Sends) -> None:
        """A receive channel without keys on `leg`'s phone: the router plays MOH into it."""
        call = leg.call
        assert call is not None
        leg.media = "moh"
        out.add(leg.station, _call_info(leg, call))  # non-secure while it hears MOH
        if self.media is None:
            leg.station.debug("detail", "no music-on-hold source: the held party hears "
                              "silence")
            return
        leg.party_id = next(self._parties)
        leg.receiving = True
        out.add(leg.station, sccp.OpenReceiveChannel(
            conference_id=call.ident, pass_thru_party_id=leg.party_id,
            ms_packet_size=PACKET_MS, compression_type=CODEC, call_reference=leg.ref,
            key_info=NO_KEY))

    def _close_media(self, leg: Leg, out: Sends) -> None:
        """Close `leg`'s receive channel and stop its transmission; the router's part too."""
        st = leg.station
        conference = leg.conference.ident if leg.conference is not None else (
            leg.call.ident if leg.call is not None else 0)
        if leg.receiving:
            out.add(st, sccp.CloseReceiveChannel(conference, leg.party_id, leg.ref,
                                                 sccp.PortHandling.CLOSE_PORT))
            leg.receiving = False
        if leg.transmitting:
            out.add(st, sccp.StopMediaTransmission(conference, leg.party_id, leg.ref,
                                                   sccp.PortHandling.CLOSE_PORT))
            leg.transmitting = False
        if leg.media in ("moh", "bridge") and self.media is not None:
            self.media.release(leg)
        leg.media = ""
        leg.rx_address = None
        leg.rx_key = NO_KEY

    # ---- transfer and conference ------------------------------------------------------------

    def _complete_transfer(self, consult: Leg, held: Leg, out: Sends,
                           directory: Directory) -> None:
        """Join the held party to the one consulted; the transferring phone leaves both. The
        held party must be allowed to call the party consulted (COR and after-hours, as if
        it dialled the consultation's digits itself)."""
        st = consult.station
        if consult.state not in (LegState.RINGOUT, LegState.CONNECTED) or consult.call is None \
                or held.call is None:
            st.debug("detail", f"Transfer while the consultation is {consult.state}, ignored")
            return
        a_call, c_call = held.call, consult.call
        b, c = a_call.other(held), c_call.other(consult)
        refusal = self._judge_joined(b, c, consult.digits, directory)
        if refusal is not None:
            st.debug("detail", f"transfer of {b.number} to {c.number} refused by "
                     f"{refusal.rule}")
            self._record_refused(b, consult.digits, Cause.REJECTED, directory)
            self.calls.pop(c_call.ident, None)
            self._stop_tone(consult, out)
            self._close_media(consult, out)
            c.cause = Cause.REJECTED
            consult.call = None
            self._clear(c, out)
            consult.digits = consult.digits or c.number
            self._reorder(consult, out)
            return
        st.debug("detail", f"transfer: {b.number} to {c.number} "
                 f"({'consultative' if c.state is LegState.CONNECTED else 'blind'})")
        for call in (a_call, c_call):
            self.calls.pop(call.ident, None)
        self._stop_tone(consult, out)
        self._close_media(b, out)
        self._close_media(c, out)
        held.call = consult.call = None
        self._clear(held, out)
        self._clear(consult, out)
        call = Call(next(self._idents), b, c)
        b.call = c.call = call
        self.calls[call.ident] = call
        if c.state is LegState.RINGIN:
            b.state = LegState.RINGOUT
            line, ref = b.line, b.ref
            out.add(b.station, sccp.CallState(sccp.CallStateCode.RING_OUT, line, ref),
                    _call_info(b, call),
                    sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.RING_OUT),
                    sccp.DisplayPromptStatus(0, PROMPT_RING_OUT, line, ref),
                    sccp.StartTone(sccp.Tone.ALERTING, sccp.ToneDirection.USER, line, ref))
            b.tone = sccp.Tone.ALERTING
            out.add(c.station, _call_info(c, call),
                    sccp.DisplayPromptStatus(0, _fit(f"From {b.number}", 32), c.line, c.ref))
        else:
            self._connect(call, out)

    def _judge_joined(self, b: Leg, c: Leg, digits: str, directory: Directory
                      ) -> Refusal | None:
        """May `b` be joined to `c`, as if `b` had dialled `digits` (transfer)?"""
        plan = directory.toll()
        if c.peer:
            peer = plan.peers_by_tag.get(c.peer)
            return plan.judge(digits, b.number, peer.corlist_outgoing if peer else None,
                              directory.now(), f"dial-peer {c.peer}", _ephone_of(b))
        policy = plan.by_number.get(c.number)
        return plan.judge(digits, b.number, policy.cor_outgoing if policy else None,
                          directory.now(), f"ephone-dn {policy.tag if policy else c.number}",
                          _ephone_of(b))

    def _complete_conference(self, consult: Leg, held: Leg, out: Sends) -> None:
        """The held call and the consultation become one three-way software conference."""
        st = consult.station
        if consult.state is not LegState.CONNECTED or consult.call is None or held.call is None:
            st.debug("detail", f"Confrn while the consultation is {consult.state}, ignored")
            return
        if self.media is None:
            st.debug("detail", "Confrn: no conference resource, ignored")
            return
        a_call, c_call = held.call, consult.call
        b, c = a_call.other(held), c_call.other(consult)
        for call in (a_call, c_call):
            self.calls.pop(call.ident, None)
        for leg in (consult, b, c):
            self._close_media(leg, out)
        held.call = None
        self._clear(held, out)
        consult.held, consult.feature = None, ""
        conf = Conference(next(self._idents), [consult, b, c])
        self.conferences[conf.ident] = conf
        st.debug("detail", f"conference {conf.ident}: {consult.number}, {b.number}, "
                 f"{c.number} (software, non-secure)")
        for leg in conf.legs:
            leg.call, leg.conference = None, conf
            leg.state = LegState.CONNECTED
            leg.party_id = next(self._parties)
            leg.receiving = True
            leg.media = "bridge"
            line, ref = leg.line, leg.ref
            out.add(leg.station, sccp.CallState(sccp.CallStateCode.CONNECTED, line, ref),
                    _conference_info(leg),
                    sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.CONNECTED_CONFERENCE),
                    sccp.DisplayPromptStatus(0, PROMPT_CONFERENCE, line, ref),
                    sccp.OpenReceiveChannel(
                        conference_id=conf.ident, pass_thru_party_id=leg.party_id,
                        ms_packet_size=PACKET_MS, compression_type=CODEC, call_reference=ref,
                        key_info=NO_KEY))

    def _leave_conference(self, leg: Leg, out: Sends, why: str) -> None:
        """`leg` leaves its conference; two left return to a direct call (fresh keys)."""
        conf = leg.conference
        assert conf is not None
        self._clear(leg, out)
        if leg in conf.legs:
            conf.legs.remove(leg)
        leg.station.debug("detail", f"conference {conf.ident}: {leg.number} left ({why})")
        if len(conf.legs) > 2:
            return
        self.conferences.pop(conf.ident, None)
        rest = list(conf.legs)
        conf.legs.clear()
        for other in rest:
            self._close_media(other, out)
            other.conference = None
        if len(rest) == 2:
            call = Call(next(self._idents), rest[0], rest[1])
            rest[0].call = rest[1].call = call
            self.calls[call.ident] = call
            self._connect(call, out)
        else:
            for other in rest:
                self._clear(other, out)

    def _busy(self, leg: Leg, out: Sends) -> None:
        leg.station.debug("detail", f"'{leg.digits}' is busy")
        self._stop_tone(leg, out)
        leg.state = LegState.BUSY
        line, ref = leg.line, leg.ref
        out.add(leg.station, sccp.DialedNumber(leg.digits, line, ref),
                sccp.CallState(sccp.CallStateCode.BUSY, line, ref),
                sccp.DisplayPromptStatus(0, PROMPT_BUSY, line, ref),
                sccp.StartTone(sccp.Tone.LINE_BUSY, sccp.ToneDirection.USER, line, ref))
        leg.tone = sccp.Tone.LINE_BUSY

    def _reorder(self, leg: Leg, out: Sends) -> None:
        st = leg.station
        st.arm_timer(None)
        st.debug("detail", f"'{leg.digits}' reaches no number: reorder")
        self._stop_tone(leg, out)
        leg.state = LegState.REORDER
        line, ref = leg.line, leg.ref
        out.add(st, sccp.CallState(sccp.CallStateCode.INVALID_NUMBER, line, ref),
                sccp.DisplayPromptStatus(0, PROMPT_UNKNOWN, line, ref),
                sccp.StartTone(sccp.Tone.REORDER, sccp.ToneDirection.USER, line, ref))
        leg.tone = sccp.Tone.REORDER

    @staticmethod
    def _stop_tone(leg: Leg, out: Sends) -> None:
        if leg.tone is not None:
            out.add(leg.station, sccp.StopTone(leg.line, leg.ref, leg.tone))
            leg.tone = None

    def _end(self, leg: Leg, out: Sends, why: str) -> None:
        """`leg` goes on-hook, and the other leg of its call with it; a conference goes on
        without it; a phone's call set aside for a transfer or conference ends with it."""
        if leg.gone:
            return
        if leg.conference is not None:
            self._leave_conference(leg, out, why)
            return
        call, held = leg.call, leg.held
        self._clear(leg, out)
        if call is not None:
            self.calls.pop(call.ident, None)
            leg.station.debug("detail", f"call {call.ident} ended: {why}")
            other = call.other(leg)
            other_held = other.held
            self._clear(other, out)
            if other_held is not None:  # the party consulted left: the held call comes back
                self._restore(other_held, out)
        if held is not None:
            self._end(held, out, why)

    def _restore(self, leg: Leg, out: Sends) -> None:
        """A call set aside returns to its line, still on hold."""
        st = leg.station
        leg.consult = None
        if leg.gone or leg.call is None or leg.line in st.legs:
            return
        st.legs[leg.line] = leg
        line, ref = leg.line, leg.ref
        out.add(st, sccp.CallState(sccp.CallStateCode.HOLD, line, ref), _call_info(leg, leg.call),
                sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.ON_HOLD),
                sccp.DisplayPromptStatus(0, PROMPT_HOLD, line, ref))

    def _clear(self, leg: Leg, out: Sends) -> None:
        """Tear one leg down on its phone: tones, ringer, media, then the idle line (a leg set
        aside: its media and its call state only, the line being in use)."""
        if leg.gone:
            return
        leg.gone = True
        st = leg.station
        if self.history is not None:
            packets = getattr(st, "packets", None)  # a voice port's media cross the router
            self.history.end(leg, Cause.BUSY if leg.state is LegState.BUSY else leg.cause,
                             packets(leg.ref) if packets is not None else None)
        aside = leg.consult is not None
        if aside:
            assert leg.consult is not None
            leg.consult.held = None
            leg.consult = None
        elif st.legs.get(leg.line) is leg:
            del st.legs[leg.line]
        if leg.state in _COLLECTING:
            st.arm_timer(None)
        line, ref = leg.line, leg.ref
        self._stop_tone(leg, out)
        if leg.state is LegState.RINGIN:
            out.add(st, sccp.SetRinger(sccp.RingMode.RING_OFF, sccp.RingDuration.NORMAL,
                                       line, ref))
        self._close_media(leg, out)
        out.add(st, sccp.CallState(sccp.CallStateCode.ON_HOOK, line, ref))
        if not aside:
            out.add(st, sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.ON_HOOK),
                    sccp.SetLamp(sccp.StimulusType.LINE, line, sccp.LampMode.OFF),
                    sccp.ClearPromptStatus(line, ref))
        leg.call = None
        leg.conference = None


def _ephone_of(leg: Leg) -> int | None:
    """The ephone tag of a phone's leg (None for a voice port's)."""
    reg = leg.station.reg
    tag = getattr(reg, "tag", 0)
    return tag or None


def _encrypting(reg: Registration) -> bool:
    return reg.transport == "TLS" and reg.cipher_encrypts and reg.security_mode == "encrypted"


def _authenticated(reg: Registration) -> bool:
    return reg.transport == "TLS" and reg.security_mode in ("authenticated", "encrypted")


def _key_for(leg: Leg, key: sccp.MediaEncryptionKeyInfo) -> sccp.MediaEncryptionKeyInfo:
    """The key block a message to `leg`'s phone may carry: never a key on a connection that
    does not encrypt (`leg.encrypting` comes from the registration's TLS suite)."""
    if key.algorithm_id == sccp.EncryptionAlgorithm.NO_ENCRYPTION or not leg.encrypting:
        return NO_KEY
    return key


def _call_info(leg: Leg, call: Call) -> sccp.CallInfo:
    caller, called = call.caller, call.called
    return sccp.CallInfo(
        calling_party_name=_fit(caller.name, 40), calling_party=_fit(caller.number, 24),
        called_party_name=_fit(called.name, 40), called_party=_fit(called.number, 24),
        line_instance=leg.line, call_reference=leg.ref,
        call_type=sccp.CallType.OUTBOUND if leg is caller else sccp.CallType.INBOUND,
        original_called_party_name=_fit(called.name, 40),
        original_called_party=_fit(called.number, 24),
        call_instance=1, call_security_status=call.security)


def _conference_info(leg: Leg) -> sccp.CallInfo:
    """A conference party's CallInfo: the conference as the other party, non-secure."""
    return sccp.CallInfo(
        calling_party_name=_fit(leg.name, 40), calling_party=_fit(leg.number, 24),
        called_party_name=CONFERENCE_LABEL, called_party=CONFERENCE_LABEL,
        line_instance=leg.line, call_reference=leg.ref, call_type=sccp.CallType.OUTBOUND,
        original_called_party_name=CONFERENCE_LABEL, original_called_party=CONFERENCE_LABEL,
        call_instance=1, call_security_status=Conference.security)
