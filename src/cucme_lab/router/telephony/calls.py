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
authenticated or encrypted devices over TLS, otherwise not authenticated.

Message order and contents follow specs/sccp.md 6 (the probe's call); the lamp, soft-key and
prompt messages it does not list, and the prompts' wording, are this lab's choice [U].
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Protocol

from cucme_lab.wire import sccp

if TYPE_CHECKING:
    from cucme_lab.router.telephony.dialplan import Verdict
    from cucme_lab.router.telephony.registrations import Registration

INTERDIGIT_SECONDS = 10.0  # CME's `timeouts interdigit` default
MAX_DIGITS = 23  # a directory number field holds at most 23 characters
PACKET_MS = 20
CODEC = sccp.MediaPayload.G711_ULAW_64K
NO_KEY = sccp.MediaEncryptionKeyInfo()  # what a non-secure stream carries
SRTP_ALGORITHM = sccp.EncryptionAlgorithm.AES_CM_128_HMAC_SHA1_32
SRTP_KEY_BYTES, SRTP_SALT_BYTES = 16, 14
FIRST_REFERENCE = 0x01000001  # CME's call references look like this [U]
FIRST_PARTY = 0x01000001

# Prompts (DisplayPromptStatus text). Plain text, like the idle screen's; the words are the
# phones' own labels (Wireshark's DisplayLabels table). "Unknown Number" for a number nothing
# answers to is chan-sccp's choice for an unroutable number [U].
PROMPT_ENTER = "Enter number"
PROMPT_RING_OUT = "Ring Out"
PROMPT_CONNECTED = "Connected"
PROMPT_BUSY = "Busy"
PROMPT_UNKNOWN = "Unknown Number"

_KEYS = {**{i: str(i) for i in range(10)}, 0x0A: "A", 0x0B: "B", 0x0C: "C", 0x0D: "D",
         sccp.KeypadKey.STAR: "*", sccp.KeypadKey.POUND: "#", sccp.KeypadKey.PLUS: "+"}


class LegState(StrEnum):
    """Where one leg is; the names are those `lab.json` and `:wait` use."""

    OFFHOOK = "offhook"
    DIALING = "dialing"
    RINGOUT = "ringout"
    RINGIN = "ringin"
    CONNECTED = "connected"
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


class Directory(Protocol):
    """Where dialled digits lead: the dial plan and the registered phones (the Station asks
    the registry)."""

    def match(self, digits: str) -> Verdict: ...

    def reach(self, dn: int) -> tuple[Endpoint, int] | None:
        """The station and line of a registered phone holding ephone-dn `dn`."""


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
        """What the phones show: encrypted only once its media has keys (specs/sccp.md 7)."""
        if self.keys:
            return sccp.CallSecurityStatus.ENCRYPTED
        if self.caller.authenticated and self.called.authenticated:
            return sccp.CallSecurityStatus.AUTHENTICATED
        return sccp.CallSecurityStatus.NOT_AUTHENTICATED


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


class CallControl:
    """Every call on the router; each method is one phone's event and returns its Sends."""

    def __init__(self) -> None:
        self.calls: dict[int, Call] = {}
        self._refs = itertools.count(FIRST_REFERENCE)
        self._parties = itertools.count(FIRST_PARTY)
        self._idents = itertools.count(1)

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

    def timer_expired(self, st: Endpoint, directory: Directory) -> Sends:
        """The interdigit timeout passed: route what was dialled (or reorder)."""
        out = Sends()
        leg = self._collecting(st)
        if leg is not None:
            st.debug("detail", f"interdigit timeout on line {leg.line} after "
                     f"'{leg.digits}'")
            self._route(leg, out, directory, final=True)
        return out

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
        if call is None or not leg.receiving:
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
        if leg.rx_address is not None:
            st.debug("detail", "second OpenReceiveChannelAck for the channel, ignored")
            return out
        leg.rx_address = (msg.ip_addr, msg.port)
        other = call.other(leg)
        other.transmitting = True
        out.add(other.station, sccp.StartMediaTransmission(
            conference_id=call.ident, pass_thru_party_id=other.party_id,
            remote_ip=msg.ip_addr, remote_port=msg.port, ms_packet_size=PACKET_MS,
            compression_type=CODEC, call_reference=other.ref,
            key_info=_key_for(other, leg.rx_key)))
        return out

    def station_gone(self, st: Endpoint) -> None:
        """The phone's connection ended mid-call: every other party gets on-hook."""
        out = Sends()
        for leg in list(st.legs.values()):
            self._end(leg, out, "the phone left")
        out.reply(st)  # its own messages have nowhere to go

    # ---- steps ---------------------------------------------------------------------------------

    def _route(self, leg: Leg, out: Sends, directory: Directory, final: bool) -> None:
        """Place the call once the digits reach a number and no longer one is possible
        (or dialling ended), wait for more while one is, else reorder."""
        st = leg.station
        if len(leg.digits) > MAX_DIGITS:
            self._reorder(leg, out)
            return
        verdict = directory.match(leg.digits) if leg.digits else None
        if verdict is not None and verdict.dn is not None and (final or not verdict.more):
            self._place(leg, verdict.dn, out, directory)
        elif verdict is not None and verdict.more and not final:
            st.arm_timer(INTERDIGIT_SECONDS)
        else:
            self._reorder(leg, out)

    def _place(self, leg: Leg, dn: int, out: Sends, directory: Directory) -> None:
        st = leg.station
        st.arm_timer(None)
        reached = directory.reach(dn)
        if reached is None:
            st.debug("detail", f"'{leg.digits}' is not on a registered phone")
            self._reorder(leg, out)
            return
        far, far_line = reached
        label = far.line_label(far_line)
        if label is None:
            self._reorder(leg, out)
            return
        if far_line in far.legs:
            self._busy(leg, out)
            return
        far_reg = far.reg
        assert far_reg is not None
        called = Leg(far, far_line, next(self._refs), label[0], label[1],
                     encrypting=_encrypting(far_reg), authenticated=_authenticated(far_reg),
                     state=LegState.RINGIN)
        far.legs[far_line] = called
        call = Call(next(self._idents), leg, called)
        leg.call = called.call = call
        self.calls[call.ident] = call
        st.debug("detail", f"call {call.ident}: {leg.number} -> {called.number} "
                 f"('{leg.digits}'), ringing")
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
        caller = call.caller
        if caller.encrypting and called.encrypting:
            call.keys = True
            caller.rx_key, called.rx_key = new_key(), new_key()
        for leg in (caller, called):
            leg.state = LegState.CONNECTED
            leg.party_id = next(self._parties)
            leg.receiving = True
        caller.station.debug("detail", f"call {call.ident}: connected, "
                             f"{security_name(call.security)}")
        line, ref = called.line, called.ref
        out.add(called.station,
                sccp.SetRinger(sccp.RingMode.RING_OFF, sccp.RingDuration.NORMAL, line, ref),
                sccp.SetLamp(sccp.StimulusType.LINE, line, sccp.LampMode.ON),
                sccp.CallState(sccp.CallStateCode.OFF_HOOK, line, ref),
                sccp.ActivateCallPlane(line),
                *self._connected(called, call))
        self._stop_tone(caller, out)
        out.add(caller.station, *self._connected(caller, call))

    @staticmethod
    def _connected(leg: Leg, call: Call) -> Iterable[sccp.SccpMessage]:
        line, ref = leg.line, leg.ref
        return (sccp.CallState(sccp.CallStateCode.CONNECTED, line, ref),
                _call_info(leg, call),
                sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.CONNECTED),
                sccp.DisplayPromptStatus(0, PROMPT_CONNECTED, line, ref),
                sccp.OpenReceiveChannel(
                    conference_id=call.ident, pass_thru_party_id=leg.party_id,
                    ms_packet_size=PACKET_MS, compression_type=CODEC, call_reference=ref,
                    key_info=_key_for(leg, leg.rx_key)))

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
        """`leg` goes on-hook, and the other leg of its call with it."""
        call = leg.call
        self._clear(leg, out)
        if call is not None:
            self.calls.pop(call.ident, None)
            leg.station.debug("detail", f"call {call.ident} ended: {why}")
            self._clear(call.other(leg), out)

    def _clear(self, leg: Leg, out: Sends) -> None:
        """Tear one leg down on its phone: tones, ringer, media, then the idle line."""
        st = leg.station
        if st.legs.get(leg.line) is not leg:
            return  # cleared already
        del st.legs[leg.line]
        if leg.state in _COLLECTING:
            st.arm_timer(None)
        line, ref = leg.line, leg.ref
        self._stop_tone(leg, out)
        if leg.state is LegState.RINGIN:
            out.add(st, sccp.SetRinger(sccp.RingMode.RING_OFF, sccp.RingDuration.NORMAL,
                                       line, ref))
        conference = leg.call.ident if leg.call is not None else 0
        if leg.receiving:
            out.add(st, sccp.CloseReceiveChannel(conference, leg.party_id, ref,
                                                 sccp.PortHandling.CLOSE_PORT))
            leg.receiving = False
        if leg.transmitting:
            out.add(st, sccp.StopMediaTransmission(conference, leg.party_id, ref,
                                                   sccp.PortHandling.CLOSE_PORT))
            leg.transmitting = False
        out.add(st, sccp.CallState(sccp.CallStateCode.ON_HOOK, line, ref),
                sccp.SelectSoftKeys(line, ref, sccp.SoftKeySetIndex.ON_HOOK),
                sccp.SetLamp(sccp.StimulusType.LINE, line, sccp.LampMode.OFF),
                sccp.ClearPromptStatus(line, ref))
        leg.call = None


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
