"""The simulated PSTN behind the router's voice ports (a lab service, DESIGN 1).

Call control hands each voice port's messages to `Pstn.deliver` (router/telephony/trunks.py);
the PSTN works through them in its own task, as a far exchange would: a call offered (the
port's line rings, the CallInfo carrying the digits as the port sent them, after `prefix` and
digit stripping) is recorded and then answered, refused busy, or left ringing, as the lab
file's rules say for those digits (by default every number answers). Answered calls carry
media: the far end sends the lab's 1 kHz test signal as plain RTP (a PSTN call is non-secure)
from a UDP socket on the router's media address (the voice port's DSP is the router's) and
counts what the phone sends back. Every call is listed in `lab.json` under `pstn.calls`.

```yaml
lab:
  pstn:
    answer-delay: 0.3          # seconds of ringing before a number answers
    numbers:
      - {digits: "1900.......", result: busy}      # `.` is any digit; first match wins
      - {digits: "011T", result: no-answer, delay: 30}  # `T`: any further digits
```
A number that does not answer rings until the caller gives up or, after `delay` seconds
(default 60), the network does: the caller then hears reorder.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address

import trio

from cucme_lab.router.telephony.history import Cause
from cucme_lab.router.telephony.mixing import RtpSender, payload_of
from cucme_lab.router.telephony.trunks import VoicePortEndpoint
from cucme_lab.wire import rtp, sccp

LOG = logging.getLogger(__name__)
RESULTS = ("answer", "busy", "no-answer")
DEFAULT_ANSWER_DELAY = 0.3
DEFAULT_NO_ANSWER_GIVE_UP = 60.0  # seconds a number rings unanswered before the network quits
STEP = rtp.PACKET_MS / 1000


@dataclass(frozen=True)
class NumberRule:
    digits: str  # digits, `.` any digit, a trailing `T` any further digits
    result: str  # answer, busy, no-answer
    delay: float | None = None

    def matches(self, number: str) -> bool:
        body = self.digits[:-1] if self.digits.endswith("T") else self.digits
        regex = "".join("[0-9*#]" if c == "." else re.escape(c) for c in body)
        return re.fullmatch(regex + ("[0-9*#]*" if self.digits.endswith("T") else ""),
                            number) is not None


@dataclass
class PstnPlan:
    """What the lab file says of the PSTN."""

    numbers: list[NumberRule] = field(default_factory=list)
    answer_delay: float = DEFAULT_ANSWER_DELAY

    def rule_for(self, number: str) -> NumberRule:
        for rule in self.numbers:
            if rule.matches(number):
                return rule
        return NumberRule("T", "answer", None)


@dataclass(eq=False)
class _Media:
    sock: trio.socket.SocketType
    scopes: list[trio.CancelScope] = field(default_factory=list)  # its sender and receiver
    closed: bool = False
    sender: RtpSender = field(default_factory=lambda: RtpSender(secrets.randbits(32)))
    sent: int = 0
    received: int = 0
    signal: int = 0


@dataclass(eq=False)
class PstnCall:
    port: str
    digits: str
    result: str
    ref: int
    media: _Media | None = None
    sent: int = 0  # over the call's media streams so far (hold and resume open new ones)
    received: int = 0

    def as_dict(self) -> dict:
        out = {"port": self.port, "digits": self.digits, "result": self.result}
        if self.media is not None:
            sent, received = self.packets()
            out["media"] = {"sent": sent, "received": received, "signal": self.media.signal}
        return out

    def packets(self) -> tuple[int, int]:
        media = self.media
        if media is None or media.closed:
            return self.sent, self.received
        return self.sent + media.sent, self.received + media.received


class Pstn:
    """The PSTN of one lab: `run` it in the lab's nursery; it attaches to the router."""

    def __init__(self, router, plan: PstnPlan, to_loopback: Callable[[str], str],
                 on_change: Callable[[], object] = lambda: None,
                 time_scale: float = 1.0) -> None:
        self.router = router
        self.plan = plan
        self.to_loopback = to_loopback
        self.on_change = on_change
        self.time_scale = time_scale
        self.calls: list[PstnCall] = []
        self._send, self._receive = trio.open_memory_channel[
            tuple[VoicePortEndpoint, list[sccp.SccpMessage]]](math.inf)
        self._nursery: trio.Nursery | None = None

    def manifest(self) -> dict:
        return {"calls": [c.as_dict() for c in self.calls]}

    # ---- trunks.Deliver: called from inside call control, so only queued here ---------------

    def deliver(self, endpoint: VoicePortEndpoint, messages: Sequence[sccp.SccpMessage]
                ) -> None:
        try:
            self._send.send_nowait((endpoint, list(messages)))
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        ports = self.router.phones.voice_ports
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                ports.attach(self.deliver, self.packets)
                task_status.started()
                async for endpoint, messages in self._receive:
                    try:
                        self._handle(endpoint, messages)
                    except Exception:  # one call's fault is that call's only
                        LOG.exception("PSTN: a call on voice-port %s failed", endpoint.name)
        finally:
            ports.attach(None)
            for call in self.calls:
                self._stop_media(call)

    # ---- what the far end does -------------------------------------------------------------

    @staticmethod
    async def _contained(fn, *args) -> None:
        """A far end's task: its failure ends that call's part only, never the lab."""
        try:
            await fn(*args)
        except Exception:
            LOG.exception("PSTN: a far-end task failed")

    def _reply(self, endpoint: VoicePortEndpoint, sends) -> None:
        mine = sends.reply(endpoint)
        if mine:
            self.deliver(endpoint, mine)

    def packets(self, ref: int) -> tuple[int, int]:
        """Packets the far end sent and received on call `ref` (the call history's)."""
        call = self._call(ref)
        return (0, 0) if call is None else call.packets()

    def _call(self, ref: int) -> PstnCall | None:
        return next((c for c in reversed(self.calls) if c.ref == ref), None)

    def _handle(self, endpoint: VoicePortEndpoint, messages: list[sccp.SccpMessage]) -> None:
        ringing: tuple[int, int] | None = None
        for msg in messages:
            if isinstance(msg, sccp.CallState):
                if msg.call_state == sccp.CallStateCode.RING_IN:
                    ringing = (msg.line_instance, msg.call_reference)
                elif msg.call_state == sccp.CallStateCode.ON_HOOK:
                    call = self._call(msg.call_reference)
                    if call is not None:
                        self._stop_media(call)
            elif isinstance(msg, sccp.CallInfo) and ringing is not None:
                self._offered(endpoint, ringing[0], ringing[1], msg.called_party)
                ringing = None
            elif isinstance(msg, sccp.OpenReceiveChannel):
                self._open(endpoint, msg)
            elif isinstance(msg, sccp.StartMediaTransmission):
                self._transmit(msg)
            elif isinstance(msg, (sccp.CloseReceiveChannel, sccp.StopMediaTransmission)):
                call = self._call(msg.call_reference)
                if call is not None:
                    self._stop_media(call)

    def _offered(self, endpoint: VoicePortEndpoint, line: int, ref: int, digits: str) -> None:
        rule = self.plan.rule_for(digits)
        result = {"answer": "answered", "busy": "busy", "no-answer": "no-answer"}[rule.result]
        self.calls.append(PstnCall(endpoint.name, digits, result, ref))
        self.on_change()
        calls = self.router.phones.calls
        if rule.result == "busy":
            self._reply(endpoint, calls.far_end(endpoint, ref, Cause.BUSY))
        elif rule.result == "answer":
            delay = self.plan.answer_delay if rule.delay is None else rule.delay
            assert self._nursery is not None
            self._nursery.start_soon(self._contained, self._answer, endpoint, line, ref,
                                     delay * self.time_scale)
        else:
            delay = DEFAULT_NO_ANSWER_GIVE_UP if rule.delay is None else rule.delay
            assert self._nursery is not None
            self._nursery.start_soon(self._contained, self._give_up, endpoint, line, ref,
                                     delay * self.time_scale)

    async def _give_up(self, endpoint: VoicePortEndpoint, line: int, ref: int, delay: float
                       ) -> None:
        await trio.sleep(delay)
        leg = endpoint.legs.get(line)
        if leg is None or leg.ref != ref:
            return  # the caller gave up first
        self._reply(endpoint, self.router.phones.calls.far_end(endpoint, ref,
                                                               Cause.NO_ANSWER))

    async def _answer(self, endpoint: VoicePortEndpoint, line: int, ref: int, delay: float
                      ) -> None:
        await trio.sleep(delay)
        leg = endpoint.legs.get(line)
        if leg is None or leg.ref != ref:
            return  # the caller gave up while it rang
        self._reply(endpoint, self.router.phones.calls.off_hook(endpoint, line, ref))

    def _open(self, endpoint: VoicePortEndpoint, msg: sccp.OpenReceiveChannel) -> None:
        call = self._call(msg.call_reference)
        reg = endpoint.reg
        if call is None or reg is None:
            return
        self._stop_media(call)
        raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            raw.bind((self.to_loopback(reg.ip), 0))
            raw.setblocking(False)
        except OSError:
            raw.close()
            ack = sccp.OpenReceiveChannelAck(sccp.MediaStatus.UNKNOWN, IPv4Address(reg.ip), 0,
                                             msg.pass_thru_party_id, msg.call_reference)
            self._reply(endpoint, self.router.phones.calls.channel_ack(endpoint, ack))
            return
        call.media = _Media(trio.socket.from_stdlib_socket(raw))
        assert self._nursery is not None
        self._nursery.start_soon(self._contained, self._listen, call.media)
        ack = sccp.OpenReceiveChannelAck(sccp.MediaStatus.OK, IPv4Address(reg.ip),
                                         call.media.sock.getsockname()[1],
                                         msg.pass_thru_party_id, msg.call_reference)
        self._reply(endpoint, self.router.phones.calls.channel_ack(endpoint, ack))
        self.on_change()

    def _transmit(self, msg: sccp.StartMediaTransmission) -> None:
        call = self._call(msg.call_reference)
        if call is None or call.media is None:
            return
        dest = (self.to_loopback(str(msg.remote_ip)), msg.remote_port)
        assert self._nursery is not None
        self._nursery.start_soon(self._contained, self._play, call.media, dest)

    def _stop_media(self, call: PstnCall) -> None:
        media = call.media
        if media is not None and not media.closed:
            call.sent += media.sent
            call.received += media.received
            media.closed = True
            for scope in media.scopes:
                scope.cancel()
            media.sock.close()
            self.on_change()

    def _scope(self, media: _Media) -> trio.CancelScope:
        scope = trio.CancelScope()
        if media.closed:
            scope.cancel()
        media.scopes.append(scope)
        return scope

    async def _play(self, media: _Media, dest: tuple[str, int]) -> None:
        with self._scope(media):
            due = trio.current_time()
            while True:
                try:
                    await media.sock.sendto(media.sender.packet(rtp.SIGNAL_FRAME), dest)
                    media.sent += 1
                except (OSError, trio.ClosedResourceError):
                    pass
                due += STEP
                now = trio.current_time()
                if due < now - 0.2:
                    due = now
                await trio.sleep_until(due)

    async def _listen(self, media: _Media) -> None:
        with self._scope(media):
            while True:
                try:
                    data = await media.sock.recv(2048)
                except (trio.ClosedResourceError, OSError):
                    return
                payload = payload_of(data)
                if payload is not None:
                    media.received += 1
                    if rtp.signal_matches(payload):
                        media.signal += 1
