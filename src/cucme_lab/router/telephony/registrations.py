"""SCCP registration: the policy deciding who may register, and the phones registered now.

The router owns one PhoneRegistry (`router.phones`). Each connection's Station (station.py)
asks it to `admit` each Register, records accepted phones with `register`, and tells it when a
phone leaves (`unregister`); the CLI reads it for `show ephone` and asks it to `reset_phones`,
which reaches each phone through its link (the SCCP service's connection, which asks the
Station for the Reset). The registry never touches a socket.

Policy (Cisco CME security chapter, "IP Phone Registration Control"; NSA guide section 4):
- a phone is its device name `SEP<MAC>`; an ephone whose `mac-address` matches is used;
- an unknown MAC is auto-registered as a new ephone (lowest free tag, `%IPPHONE-6-REGISTER_NEW`,
  no lines unless `auto assign` gives it a free ephone-dn), or refused under `no auto-reg-ephone`;
- `max-ephones` caps both the tags and the number of phones registered at once;
- `strict-match` admits only phones whose configured address is in the subnet of the interface
  holding the `ip source-address` (a /24 when no interface holds it: lab choice);
- an ephone whose effective `device-security-mode` is authenticated or encrypted must come over
  TLS with a certificate the trustpoint accepted (checked by the service before `admit`) and whose
  CN is its device name; encrypted mode also needs an encrypting cipher suite.

Syslog lines follow specs/ios-cli.md 6.11; debug lines (6.12) are approximate [U].
"""

from __future__ import annotations

import heapq
import ipaddress
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cucme_lab.router.config.interfaces import interfaces
from cucme_lab.router.telephony.calls import CallControl
from cucme_lab.router.telephony.dialplan import DialPlan
from cucme_lab.router.telephony.settings import (
    DEFAULT_KEEPALIVE,
    EPHONE,
    EPHONE_DN,
    MAX_EPHONES,
    Button,
    Ephone,
    TelephonyService,
    effective_security_mode,
    ephone,
    ephones,
    telephony_service,
)
from cucme_lab.router.telephony.trunks import VoicePorts

if TYPE_CHECKING:
    from cucme_lab.router.debugging import Debugging
    from cucme_lab.router.router import Router
    from cucme_lab.router.telephony.calls import Endpoint

MISSED_KEEPALIVES = 3  # the phone is gone after 3 intervals of silence [policy, unverified]
RESET, RESTART = 1, 2

_DEVICE_NAME = re.compile(r"SEP([0-9A-F]{12})")

# Register.deviceType -> the model name `show ephone` prints (specs/sccp.md 4.1).
DEVICE_MODELS = {
    30008: "7902", 20000: "7905", 369: "7906", 6: "7910", 307: "7911", 30007: "7912",
    124: "7914", 30002: "7920", 365: "7921", 484: "7925", 577: "7926", 348: "7931", 9: "7935",
    30019: "7936", 431: "7937", 8: "7940", 115: "7941", 309: "7941GE", 434: "7942",
    435: "7945", 7: "7960", 30018: "7961", 308: "7961GE", 404: "7962", 436: "7965",
    30006: "7970", 119: "7971", 437: "7975", 302: "7985", 30016: "CIPC", 495: "6921",
    496: "6941", 497: "6961", 586: "8941", 585: "8945",
}

# Reject texts (RegisterReject char[32], at most 31 characters). Only "Unknown device" is from
# the spec (5, step 2b); the others are this lab's wording [U].
REJECT_BAD_NAME = "Invalid device name"
REJECT_UNKNOWN = "Unknown device"
REJECT_STRICT = "Not in strict-match subnet"
REJECT_MAX = "max-ephones reached"
REJECT_NEED_TLS = "Secure device must use TLS"
REJECT_NEED_ENCRYPTION = "Encryption required"
REJECT_CERT_NAME = "Certificate name mismatch"
REJECT_NO_CME = "CME not configured"


class PhoneLink(Protocol):
    """The service's handle on one phone's connection."""

    def send_reset(self, reset_type: int) -> None:
        """Queue a Reset (1 reset, 2 restart) to the phone."""

    def close(self) -> None:
        """Drop the connection (the service then calls `unregister`)."""

    def deliver(self, messages: Sequence[Any]) -> None:
        """Write these SCCP messages to the phone (another phone's call event made them)."""


@dataclass(frozen=True)
class RegisterRequest:
    """What the service knows about a phone when its Register arrives."""

    device_name: str
    ip: str  # the phone's configured address (the loopback source mapped back)
    port: int
    transport: str  # "TCP" or "TLS"
    device_type: int = 0
    protocol_ver: int = 0
    cert_cn: str | None = None  # the CN of a certificate the trustpoint accepted (TLS only)
    cipher: str | None = None
    cipher_encrypts: bool = False


@dataclass(frozen=True)
class Admission:
    ok: bool
    tag: int = 0
    new: bool = False
    reason: str = ""  # the RegisterReject text
    detail: str = ""  # the longer explanation for the debug line
    security_mode: str = "none"


@dataclass
class Registration:
    """One registered phone, as `show ephone` reports it."""

    tag: int
    device_name: str
    ip: str
    port: int
    socket: int
    transport: str
    device_type: int
    protocol_ver: int  # what the phone offered
    version: int  # what was negotiated
    max_streams: int
    keepalive_interval: int
    link: PhoneLink
    new: bool = False
    security_mode: str = "none"
    cipher: str | None = None
    tls_version: str | None = None
    cipher_encrypts: bool = False
    keepalives: int = 0
    max_lines: int = 0  # Register.maxNumberOfLines
    load: str = ""  # Register.firmwareLoadName (protocol 17 and later): its firmware, as CDP says
    available_lines: int = 0  # RegisterAvailableLines
    caps: int = 0  # codecs in CapabilitiesRes
    reset_sent: int = 0
    registered_at: float = field(default_factory=time.time)
    station: Endpoint | None = None  # its connection's Station: how calls reach the phone

    @property
    def mac(self) -> str:
        h = self.device_name[3:]
        return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"

    @property
    def model(self) -> str:
        return DEVICE_MODELS.get(self.device_type, str(self.device_type))


def mac_of(device_name: str) -> str | None:
    """`SEP001122334455` -> `0011.2233.4455`; None when the name is not a phone's."""
    m = _DEVICE_NAME.fullmatch(device_name)
    if m is None:
        return None
    h = m.group(1)
    return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"


def encrypting(cipher: str | None) -> bool:
    """Does this OpenSSL suite name encrypt? (NULL-SHA and friends only sign.)"""
    return cipher is not None and "NULL" not in cipher.upper()


@dataclass
class PhoneRegistry:
    """The registration state of one router. All methods run in the router's trio thread."""

    registrations: dict[int, Registration] = field(default_factory=dict)
    # `debug ephone ... mac-address H.H.H` filters: empty means every phone.
    debug_macs: set[str] = field(default_factory=set)
    high_water: int = 0
    # Seconds of real time per configured second of keepalive: 1 in a lab, smaller in tests.
    time_scale: float = 1.0
    # Ephones the platform allows when `max-ephones` is not configured (benchmarks raise it).
    # Phones that may register when `max-ephones` is not set: the ephone tag range's top, from
    # the one place the CLI's range comes from too.
    capacity: int = MAX_EPHONES
    # A TLS client must finish its handshake within this many seconds (service setting).
    handshake_timeout: float = 10.0
    _sockets: set[int] = field(default_factory=set)
    _freed_sockets: list[int] = field(default_factory=list)  # a heap of numbers below _next
    _next_socket: int = 1
    _log: Callable[[str], object] | None = None
    # Derived from the configuration, dropped whenever it changes (`invalidate`).
    _macs: dict[str, int] | None = None
    _ts: TelephonyService | None = None
    _keepalive: int | None = None
    _tags: set[int] = field(default_factory=set)
    _tag_hint: int = 1  # every tag below it has an ephone (valid while _macs is)
    _debugging: Debugging | None = None
    calls: CallControl = field(default_factory=CallControl)  # the calls between these phones
    voice_ports: VoicePorts = field(default_factory=VoicePorts)  # calls to the PSTN
    _plan: DialPlan | None = None

    def attach(self, log: Callable[[str], object], debugging: Debugging | None = None) -> None:
        """Where syslog lines go (the router's event log) and its `debug` flags."""
        self._log = log
        self._debugging = debugging

    def invalidate(self) -> None:
        """The configuration changed (router.notify): forget what was derived from it."""
        self._macs = None
        self._ts = None
        self._keepalive = None
        self._plan = None

    def _telephony(self, router: Router) -> TelephonyService | None:
        if self._ts is None:
            self._ts = telephony_service(router.config)
        return self._ts

    # ---- sockets and logging -----------------------------------------------------------------

    def open_socket(self) -> int:
        """The next free skinny socket number (IOS counts from 1 and reuses freed ones)."""
        # The lowest free number is the lowest freed one, else the next never used.
        n = heapq.heappop(self._freed_sockets) if self._freed_sockets else self._next_socket
        self._next_socket = max(self._next_socket, n + 1)
        self._sockets.add(n)
        return n

    def close_socket(self, n: int) -> None:
        if n in self._sockets:
            self._sockets.remove(n)
            heapq.heappush(self._freed_sockets, n)

    @property
    def socket_count(self) -> int:
        return len(self._sockets)

    def syslog(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    def debugging(self, kind: str) -> bool:
        """Is `debug ephone <kind>` on? `detail` shows everything the others show."""
        d = self._debugging
        return d is not None and (d.on(f"ephone {kind}") or d.on("ephone detail"))

    def debug_line(self, kind: str, text: str, device_name: str | None = None) -> None:
        """A debug line when `debug ephone <kind>` (or `detail`) is on for this phone."""
        if not self.debugging(kind):
            return
        if self.debug_macs and device_name is not None and \
                mac_of(device_name) not in self.debug_macs:
            return
        self.syslog(text)

    # ---- policy --------------------------------------------------------------------------------

    def admit(self, router: Router, req: RegisterRequest) -> Admission:
        """May this phone register? Creates the ephone of an auto-registered phone."""
        config = router.config
        ts = self._telephony(router)
        if ts is None or ts.source_address is None:
            return Admission(False, reason=REJECT_NO_CME, detail="telephony-service has no "
                             "ip source-address")
        mac = mac_of(req.device_name)
        if mac is None:
            return Admission(False, reason=REJECT_BAD_NAME,
                             detail=f"device name {req.device_name!r} is not SEP<MAC>")
        if ts.strict_match and not self._in_subnet(router, ts.source_address, req.ip):
            return Admission(False, reason=REJECT_STRICT, detail=f"IP {req.ip} is outside the "
                             f"strict-match subnet of {ts.source_address}")
        limit = self.limit(ts)
        found = self._tag_by_mac(router, mac)
        ep = ephone(config, found) if found is not None else None
        if ep is None:
            if not ts.auto_reg_ephone:
                return Admission(False, reason=REJECT_UNKNOWN, detail=f"{req.device_name} has no "
                                 "ephone and auto-registration is disabled (no auto-reg-ephone)")
            if self._registered_count(exclude=None) >= limit:
                return Admission(False, reason=REJECT_MAX,
                                 detail=f"max-ephones {limit} phones already registered")
            tag = self._free_tag(router, limit)
            if tag is None:
                return Admission(False, reason=REJECT_MAX,
                                 detail=f"no free ephone tag up to max-ephones {limit}")
            mode = ts.device_security_mode
            denied = self._security(req, mode)
            if denied is not None:
                return denied
            self._create_ephone(router, tag, mac, ts.auto_assign)
            return Admission(True, tag=tag, new=True, security_mode=mode)
        tag = ep.tag
        if tag > limit:
            return Admission(False, reason=REJECT_MAX,
                             detail=f"ephone {tag} is above max-ephones {limit}")
        if self._registered_count(exclude=tag) >= limit:
            return Admission(False, reason=REJECT_MAX,
                             detail=f"max-ephones {limit} phones already registered")
        mode = effective_security_mode(config, ep, ts)
        denied = self._security(req, mode, server_mode=ts.server_security_mode)
        if denied is not None:
            return denied
        return Admission(True, tag=tag, security_mode=mode)

    @staticmethod
    def _security(req: RegisterRequest, mode: str, server_mode: str | None = None
                  ) -> Admission | None:
        if mode not in ("authenticated", "encrypted"):
            return None
        if req.transport != "TLS":
            why = f"device-security-mode {mode} needs TLS on port 2443"
            if server_mode == "secure":
                why += " (server-security-mode secure)"
            return Admission(False, reason=REJECT_NEED_TLS, detail=why)
        if req.cert_cn != req.device_name:
            return Admission(False, reason=REJECT_CERT_NAME, detail=f"certificate CN "
                             f"{req.cert_cn!r} is not the device name {req.device_name}")
        if mode == "encrypted" and not req.cipher_encrypts:
            return Admission(False, reason=REJECT_NEED_ENCRYPTION, detail=f"device-security-mode "
                             f"encrypted, but the TLS suite {req.cipher} does not encrypt")
        return None

    def _registered_count(self, exclude: int | None) -> int:
        return len(self.registrations) - (exclude in self.registrations)

    @staticmethod
    def _in_subnet(router: Router, source: str, ip: str) -> bool:
        src = ipaddress.IPv4Address(source)
        network = ipaddress.IPv4Network(f"{src}/24", strict=False)
        for sec in interfaces(router.config):
            addr = sec.address
            if addr is not None and src in addr.network:
                network = addr.network
                break
        try:
            return ipaddress.IPv4Address(ip) in network
        except ValueError:
            return False

    @staticmethod
    def _ephone_sections(router: Router) -> Iterator[Ephone]:
        # Unsorted on purpose: registration must stay cheap with a thousand ephones.
        return (s for s in router.config.children.values() if isinstance(s, Ephone))

    def _index(self, router: Router) -> dict[str, int]:
        """Ephone tags by MAC (and the set of tags), built again after a configuration change."""
        if self._macs is None:
            self._macs, self._tags, self._tag_hint = {}, set(), 1
            for sec in self._ephone_sections(router):
                self._tags.add(sec.tag)
                if sec.mac is not None:
                    self._macs[sec.mac] = sec.tag
        return self._macs

    def _tag_by_mac(self, router: Router, mac: str) -> int | None:
        tag = self._index(router).get(mac)
        if tag is not None:
            sec = ephone(router.config, tag)
            if sec is None or sec.mac != mac:  # changed behind us
                self._macs = None
                return self._tag_by_mac(router, mac)
        return tag

    def _free_tag(self, router: Router, limit: int) -> int | None:
        self._index(router)
        for t in range(self._tag_hint, limit + 1):
            if t not in self._tags and router.config.find(EPHONE, (t,)) is None:
                return t
            self._tag_hint = t + 1  # taken, and only a configuration change frees it
        return None

    def _create_ephone(self, router: Router, tag: int, mac: str,
                       auto_assign: tuple[int, int] | None) -> None:
        """The ephone CME adds for an auto-registered phone (shown in running-config). The
        dial plan made before it does not know its line: it is made again at the next call
        (kept, it sent calls to the new phone to reorder)."""
        sec = router.config.section(EPHONE, (tag,), f"ephone  {tag}", Ephone)
        sec.mac = mac
        self._plan = None
        if self._macs is not None:
            self._macs[mac] = tag
            self._tags.add(tag)
        if auto_assign is None:
            return
        taken = {dn for ep in ephones(router.config) for b in ep.buttons for dn in b.dns}
        first, last = auto_assign
        for dn_sec in router.config.sections(EPHONE_DN):
            dn = dn_sec.ident[0]
            if first <= dn <= last and dn not in taken:
                sec.buttons = [Button(1, ":", (dn,))]
                return

    # ---- state changes ----------------------------------------------------------------------

    def register(self, reg: Registration) -> None:
        old = self.registrations.get(reg.tag)
        if old is not None and old.link is not reg.link:
            # The phone came back before its old connection timed out: the new one wins.
            self.unregister(old.tag, normal=False, link=old.link)
            old.link.close()
        self.registrations[reg.tag] = reg
        self.high_water = max(self.high_water, len(self.registrations))
        mnemonic = "REGISTER_NEW" if reg.new else "REGISTER"
        self.syslog(f"%IPPHONE-6-{mnemonic}: {self._who(reg)} has registered.")

    def drop_all(self) -> None:
        """The router goes down (`reload`): every phone's connection is dropped; the phones
        find CME gone and register again once it is back, as real phones do."""
        for reg in list(self.registrations.values()):
            reg.link.close()

    def unregister(self, tag: int, normal: bool, link: PhoneLink | None = None) -> bool:
        """Forget a phone (only if `link` is still its connection); logs UNREGISTER_*."""
        reg = self.registrations.get(tag)
        if reg is None or (link is not None and reg.link is not link):
            return False
        del self.registrations[tag]
        kind = "NORMAL" if normal else "ABNORMAL"
        self.syslog(f"%IPPHONE-6-UNREGISTER_{kind}: {self._who(reg)} has unregistered "
                    f"{kind.lower()}ly.")
        return True

    @staticmethod
    def _who(reg: Registration) -> str:
        return (f"ephone-{reg.tag}:{reg.device_name} IP:{reg.ip} Socket:{reg.socket} "
                "DeviceType:Phone")

    def reset_phones(self, tags: list[int] | None, restart: bool) -> str | None:
        """`reset`/`restart` (one ephone) or `reset all`/`restart all` (`tags` None).

        Only registered phones get the Reset; an unregistered one cannot be reached (NSA guide
        4.2). IOS prints nothing either way [M]; the debug line says what was sent.
        """
        kind = RESTART if restart else RESET
        targets = sorted(self.registrations) if tags is None else \
            [t for t in tags if t in self.registrations]
        for tag in targets:
            reg = self.registrations[tag]
            reg.reset_sent += 1
            self.debug_line("register", f"ephone-{tag}[{tag - 1}]:"
                            f"{'Restart' if restart else 'Reset'} sent to {reg.device_name}",
                            reg.device_name)
            reg.link.send_reset(kind)
        for tag in tags or []:
            if tag not in self.registrations:
                self.debug_line("register", f"ephone-{tag}[{tag - 1}]:not registered, "
                                f"{'restart' if restart else 'reset'} not sent")
        return None

    # ---- where calls go ------------------------------------------------------------------

    def dial_plan(self, router: Router) -> DialPlan:
        """The numbers and patterns calls are routed by, made again after a change."""
        if self._plan is None:
            self._plan = DialPlan.from_config(router.config)
        return self._plan

    def line_owner(self, router: Router, dn: int) -> tuple[Registration, int] | None:
        """The first registered phone (by ephone tag) with ephone-dn `dn` on a button, and
        that button: the line a call to the dn rings (shared lines ring one phone [U])."""
        for tag, line in self.dial_plan(router).appearances.get(dn, ()):
            reg = self.registrations.get(tag)
            if reg is not None and reg.station is not None:
                return reg, line
        return None

    def limit(self, ts: TelephonyService | None) -> int:
        """How many phones may register at once: `max-ephones`, else `capacity`."""
        return (ts.max_ephones if ts is not None else None) or self.capacity

    def keepalive_interval(self, router: Router) -> int:
        """`keepalive <seconds>` of telephony-service, 30 when not configured."""
        if self._keepalive is None:
            ts = telephony_service(router.config)
            self._keepalive = ts.keepalive_interval if ts is not None else DEFAULT_KEEPALIVE
        return self._keepalive
