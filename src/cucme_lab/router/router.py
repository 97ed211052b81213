"""The Router: sole owner of the emulated router's state.

Shell sessions and network services call its methods; none keeps its own copy of configuration.
The configuration is a tree of sections (see `router.config.section`); this class adds what a
real router keeps beside it: clock, event log, NVRAM and flash, hardware, and change tracking.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cucme_lab.router.aaa import AaaRuntime
from cucme_lab.router.access import AclCounters, VtyState
from cucme_lab.router.access_config import (
    LINE_AUX,
    LINE_CON,
    LINE_VTY,
    TerminalLine,
    VtyLines,
)
from cucme_lab.router.addresses import AddressMap
from cucme_lab.router.capf.state import CapfState
from cucme_lab.router.chassis import Chassis
from cucme_lab.router.clock import Clock
from cucme_lab.router.config.interfaces import INTERFACE, Duplex, Interface, IpAddressing, Speed
from cucme_lab.router.config.interfaces import interface as find_interface
from cucme_lab.router.config.order import group_of
from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.config.section import Setting
from cucme_lab.router.debugging import Debugging
from cucme_lab.router.eventlog import EventLog
from cucme_lab.router.ingress import IngressLog
from cucme_lab.router.ntp import NtpState
from cucme_lab.router.pki.keystore import KeyStore, load_pem, save_pem
from cucme_lab.router.pki.state import PkiRuntime
from cucme_lab.router.provisioning.tftp_table import ProvisioningState
from cucme_lab.router.snmp.agent import SnmpState
from cucme_lab.router.storage import LabStorage
from cucme_lab.router.telephony.accounting import call_history_for
from cucme_lab.router.telephony.registrations import PhoneRegistry

# How many `!` lines IOS prints after a block of these kinds: (before another block of the same
# kind, before anything else); one and one for any other kind [D]: real CME running-configs in
# Cisco's guides and published captures (`ephone-dn  1 ...` followed by two, `ephone  1 ...` by
# three, telephony-service and ephone-template by two), IOS 12.4-15 captures for trustpoints
# (one between two, two after the last) and control-plane; between two certificate chains [M].
SEPARATORS = {"telephony-service": (2, 2), "ephone-template": (2, 2), "ephone-dn": (2, 2),
              "ephone": (3, 3), "crypto pki trustpoint": (1, 2),
              "crypto pki certificate chain": (1, 2), "control-plane": (3, 3)}

IOS_VERSION_SHORT = "12.4"
IOS_VERSION = "12.4(24)T8"
IOS_IMAGE = "c2800nm-adventerprisek9-mz.124-24.T8.bin"


@dataclass
class ChangeRecord:
    stamp: str
    user: str  # "" or "console": no ` by ...` (a console change prints none, as on IOS)

    def comment(self, what: str) -> str:
        """`! Last configuration change at 13:21:33 UTC Tue Mar 18 2025 [by admin]`."""
        by = f" by {self.user}" if self.user and self.user != "console" else ""
        return f"! {what} at {self.stamp}{by}"


@dataclass
class Router:
    """One emulated 2800-series ISR running CUCME."""

    storage: LabStorage
    addresses: AddressMap  # the lab's address plan: where configured addresses really are
    chassis: Chassis = field(default_factory=Chassis)
    clock: Clock = field(default_factory=Clock)
    config: RootConfig = field(default_factory=lambda: RootConfig("root"))
    serial: str = "FTX1234A5BC"
    boot_time: float = 0.0
    last_change: ChangeRecord | None = None
    nvram_updated: ChangeRecord | None = None
    unsaved_changes: bool = False
    reload_hooks: list[Callable[[], None]] = field(default_factory=list)
    # `show version`'s `System returned to ROM by ...`: power-on until `reload` is typed
    returned_to_rom: str = "power-on"
    sessions: list[Any] = field(default_factory=list)  # shell sessions on con/vty lines
    change_listeners: list[Callable[[], None]] = field(default_factory=list)
    keystore: KeyStore = field(default_factory=KeyStore)
    phones: PhoneRegistry = field(default_factory=PhoneRegistry)  # SCCP registrations
    # vty connections and login failures: kept across reloads (the lab's sockets outlive one)
    vty: VtyState = field(default_factory=VtyState)
    # AAA servers' counters and the transport the lab gives (kept across reloads, like `vty`)
    aaa: AaaRuntime = field(default_factory=AaaRuntime)
    # Runtime memory of the subsystems: not configuration, not saved, new at each power cycle
    # (`factory_reset`).
    pki_runtime: PkiRuntime = field(init=False)  # CA request databases, CRLs, enrolments
    capf: CapfState = field(init=False)  # CAPF sessions and completed operations
    provisioning: ProvisioningState = field(init=False)  # the published TFTP table
    acl_counters: AclCounters = field(init=False)  # access-list hits (`show access-lists`)
    ntp: NtpState = field(init=False)  # NTP associations and the system peer
    snmp: SnmpState = field(init=False)  # the SNMP agent's counters (`show snmp`) and MIB view
    ingress_log: IngressLog = field(init=False)  # when interface ACLs last logged each flow
    # Where peers outside every configured subnet arrive (the lab file's `wan-interface`).
    wan_interface: str | None = None

    def __post_init__(self) -> None:
        self.clock.ntp_configured = lambda: bool(self.config.ntp_servers)
        self.log = EventLog(self.clock, settings=lambda: self.config,
                            uptime=lambda: time.time() - self.boot_time)
        self.debug = Debugging(self.log)
        self.phones.attach(self.log.log, self.debug)
        self.phones.calls.history = call_history_for(self)
        self.change_listeners.append(self.phones.invalidate)
        self.factory_reset()

    @classmethod
    def open(cls, lab_dir: Path, *, addresses: AddressMap, chassis: Chassis | None = None,
             clock: Clock | None = None) -> Router:
        """The router of the lab folder `lab_dir`, on the lab network `addresses` maps."""
        return cls(LabStorage(lab_dir), addresses, chassis or Chassis(), clock or Clock())

    # --- configuration state -----------------------------------------------------------
    def factory_reset(self) -> None:
        """The configuration IOS has with an empty startup-config."""
        import time

        self.boot_time = time.time()
        private = self.storage.read_nvram("private-config")
        self.keystore = load_pem(private) if private else KeyStore()  # unsaved keys are lost
        # sessions and counters do not survive a power cycle
        if hasattr(self, "pki_runtime"):
            self.pki_runtime.release_reservations()  # the CA's exact serial, kept as IOS does
        self.pki_runtime = PkiRuntime()
        self.capf = CapfState()
        self.provisioning = ProvisioningState(
            self.storage, self.notify, lambda: self.config.find("ctl-client", ()) is not None)
        self.acl_counters = AclCounters()
        self.ntp = NtpState()
        # the zone and summer time come back from startup-config, as everything configured
        self.clock.tz_name, self.clock.tz_offset_minutes, self.clock.summer = "UTC", 0, None
        self.snmp = SnmpState()
        self.ingress_log = IngressLog()
        self.config = RootConfig("root")
        root = self.config
        root.set("version", f"version {IOS_VERSION_SHORT}")
        # `service timestamps debug|log datetime msec` are the typed defaults (config/logging.py)
        # hostname Router, no service password-encryption, no ip http server and no ip http
        # secure-server are the defaults of RootConfig's typed settings.
        root.set("boot-start-marker", "boot-start-marker")
        root.set("boot-end-marker", "boot-end-marker")
        root.set("ip cef", "ip cef")
        for name in self.chassis.physical:
            self.interface(name, create=True)
        self.interface("Vlan1", create=True)
        root.set("ip forward-protocol", "ip forward-protocol nd")
        root.section("control-plane", (), "control-plane")
        # `no aaa new-model` and the vty lines' `login` are the typed defaults of these blocks.
        root.section(LINE_CON, ("0",), "line con 0", TerminalLine)
        root.section(LINE_AUX, ("0",), "line aux 0", TerminalLine)
        root.section(LINE_VTY, ("0", "4"), "line vty 0 4", VtyLines)
        self.last_change = None
        self.unsaved_changes = False

    @property
    def hostname(self) -> str:
        return self.config.hostname

    def interface(self, name: str, create: bool = False) -> Interface | None:
        """The `interface NAME` block; `create` makes it with IOS's defaults for its type."""
        sec = find_interface(self.config, name)
        if sec is None and create:
            sec = self.config.section(INTERFACE, (name,), f"interface {name}", Interface)
            assert isinstance(sec, Interface)
            kind = name.rstrip("0123456789/.")
            switch_port = kind == "FastEthernet" and name.count("/") == 2  # EtherSwitch module
            if kind in ("FastEthernet", "GigabitEthernet", "Serial") and not switch_port:
                sec.ip = IpAddressing()
                sec.shutdown = True
                if kind != "Serial":
                    sec.duplex = Duplex.AUTO
                    sec.speed = Speed.AUTO
            elif kind == "Vlan":
                sec.ip = IpAddressing()
        return sec

    def mark_changed(self, user: str = "console") -> None:
        self.last_change = ChangeRecord(self.clock.config_stamp(), user)
        self.unsaved_changes = True
        self.notify()

    def notify(self) -> None:
        """Tell the services (and anything else listening) that the configuration changed."""
        for listener in list(self.change_listeners):
            listener()

    # --- rendering ---------------------------------------------------------------------
    def running_config_lines(self) -> Iterator[str]:
        """The body of `show running-config`, from `version` to `end`.

        After a block IOS prints one `!`, or as many as `SEPARATORS` gives for its kind.
        """
        previous_group: str | None = None
        pending_bang = False
        same, other = 1, 1  # `!` lines after the last block (SEPARATORS)
        for _, item in self.config.body():
            if isinstance(item, Setting):
                group = group_of(item.key)
                if previous_group is not None and (group != previous_group or pending_bang):
                    yield from ["!"] * other
                yield item.line
                previous_group, pending_bang, same, other = group, False, 1, 1
            else:
                group = "section:" + item.kind
                joined = item.kind.startswith("line ") and (previous_group or "").startswith(
                    "section:line ")
                if previous_group is not None and not joined:
                    yield from ["!"] * (same if group == previous_group else other)
                yield from item.render(0)
                previous_group, pending_bang = group, True
                same, other = SEPARATORS.get(item.kind, (1, 1))
        yield "!"
        yield "end"

    def config_comments(self) -> str:
        """The comment block IOS puts before `version`, in running- and startup-config:

            !
            ! Last configuration change at 18:40:55 UTC Wed Apr 30 2025
            ! NVRAM config last updated at 18:41:02 UTC Wed Apr 30 2025
            !

        (real captures: a console change names no user, a vty user's does: `by cisco`).
        """
        lines = ["!"]
        if self.last_change:
            lines.append(self.last_change.comment("Last configuration change"))
        else:
            lines.append("! No configuration change since last restart")
        if self.nvram_updated:
            lines.append(self.nvram_updated.comment("NVRAM config last updated"))
        lines.append("!")
        return "\n".join(lines) + "\n"

    def running_config(self, header: bool = True) -> str:
        body = "\n".join(self.running_config_lines()) + "\n"
        if not header:
            return body
        text = self.config_comments() + body
        return f"Building configuration...\n\nCurrent configuration : {len(text)} bytes\n{text}"

    def startup_config_text(self) -> str:
        return "\n".join(self.running_config_lines()) + "\n"

    # --- NVRAM -------------------------------------------------------------------------
    def write_memory(self, user: str = "console") -> None:
        """Save: the configuration as IOS writes it, its comment block first."""
        self.storage.write_nvram("private-config", save_pem(self.keystore))
        self.nvram_updated = ChangeRecord(self.clock.config_stamp(), user)
        self.storage.write_nvram("startup-config",
                                 self.config_comments() + self.startup_config_text())
        self.unsaved_changes = False

    def startup_config(self) -> str | None:
        return self.storage.read_nvram("startup-config")
