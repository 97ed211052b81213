"""Voice ports as call parties, sans I/O: the router's end of a call to the PSTN.

A voice port (`port 1/0` on a pots dial-peer) takes part in calls as a phone's line does: it
is a `calls.Endpoint`, so call control sends it the messages it would send a phone (ringing,
the media channels, on-hook) and the whole call plane (answer, hold, transfer, conference,
clearing) works unchanged. What lies behind the port, the PSTN, is the lab's (lab/pstn.py): the
port hands it each batch of messages through the `deliver` callback the lab attached, and the
PSTN answers later through `CallControl` as a phone would (off-hook to answer, an
OpenReceiveChannelAck for the media, on-hook), never from inside the event that sent them.
With no PSTN attached, the port is out of service and calls to it fail as busy.

An analog port carries one call, so each port has one line; its `reg` says what call control
needs to know of a registration: the router's own address (a voice port's media come from the
router's DSP) and that it is never secure (a PSTN call is non-secure).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cucme_lab.router.config.section import Section
from cucme_lab.router.telephony.settings import telephony_service
from cucme_lab.router.telephony.voice_config import voice_ports
from cucme_lab.wire import sccp

if TYPE_CHECKING:
    from cucme_lab.router.telephony.calls import Leg

TRUNK_LINE = 1


@dataclass
class PortRegistration:
    """The registration fields call control reads, for a voice port."""

    ip: str  # the router's media address (configured)
    transport: str = "PSTN"
    security_mode: str = "none"
    cipher_encrypts: bool = False
    tag: int = 0


Deliver = Callable[["VoicePortEndpoint", Sequence[sccp.SccpMessage]], None]
Counters = Callable[[int], tuple[int, int]]  # call reference -> (packets sent, received)


@dataclass(eq=False)
class VoicePortEndpoint:
    """One voice port as a party of calls (calls.Endpoint)."""

    name: str  # "1/0"
    reg: PortRegistration | None
    deliver: Deliver | None = None
    legs: dict[int, Leg] = field(default_factory=dict)
    log: Callable[[str, str], None] | None = None
    counters: Counters | None = None  # the far end's media packets, for the call history

    def packets(self, ref: int) -> tuple[int, int] | None:
        return None if self.counters is None else self.counters(ref)

    def push(self, messages: Sequence[sccp.SccpMessage]) -> None:
        if self.deliver is not None and messages:
            self.deliver(self, messages)

    def debug(self, kind: str, text: str) -> None:
        if self.log is not None:
            self.log(kind, f"voice-port {self.name}: {text}")

    def arm_timer(self, seconds: float | None) -> None:
        """A port never collects digits: no timer."""

    def line_label(self, line: int) -> tuple[str, str] | None:
        return ("", "") if line == TRUNK_LINE else None

    def lines(self) -> list[int]:
        return [TRUNK_LINE]

    @property
    def in_service(self) -> bool:
        return self.deliver is not None and self.reg is not None


@dataclass(eq=False)
class VoicePorts:
    """The chassis' voice ports as call parties, made on first use; the PSTN the lab
    attached (`attach`) is what every port's calls are delivered to."""

    endpoints: dict[str, VoicePortEndpoint] = field(default_factory=dict)
    deliver: Deliver | None = None
    log: Callable[[str, str], None] | None = None
    counters: Counters | None = None

    def attach(self, deliver: Deliver | None, counters: Counters | None = None) -> None:
        """The lab's PSTN (None: detached, every port out of service)."""
        self.deliver, self.counters = deliver, counters
        for endpoint in self.endpoints.values():
            endpoint.deliver, endpoint.counters = deliver, counters

    def endpoint(self, config: Section, name: str) -> VoicePortEndpoint | None:
        """Voice port `name` in service, or None (no such port, or shut down)."""
        ports = voice_ports(config)
        if name not in ports:
            return None
        block = ports[name]
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            endpoint = self.endpoints[name] = VoicePortEndpoint(name, None, self.deliver,
                                                                log=self.log,
                                                                counters=self.counters)
        ts = telephony_service(config)
        address = (ts.source_address if ts is not None else None) or "127.0.0.1"
        shut = block is not None and block.shutdown
        endpoint.reg = None if shut else PortRegistration(address)
        return endpoint if endpoint.in_service else None
