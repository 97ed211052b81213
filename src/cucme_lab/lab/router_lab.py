"""A running lab: the router, its network services, its address plan and its manifest.

`open_lab` is what the `cucme-lab` command, scenarios and tests use: it boots the router from
its lab folder, starts the services its configuration asks for, keeps `lab.json` current, and
stops everything when the block ends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.lab.audit.live import keep_audit_current
from cucme_lab.lab.lock import lab_lock
from cucme_lab.lab.manifest import Manifest
from cucme_lab.lab.outside_hosts import aaa_hosts, outside_hosts, snmp_managers
from cucme_lab.lab.ranges import claimed_plan
from cucme_lab.lab.real_addresses import RealAddresses
from cucme_lab.router.chassis import Chassis
from cucme_lab.router.pki.validation import CrlSource
from cucme_lab.router.router import Router
from cucme_lab.services.host import Frontend
from cucme_lab.shell.declarations import CommandSet


def load_chassis(lab_dir: Path) -> Chassis:
    """A lab may describe its hardware in `chassis.json`: {"model": ..., "interfaces": [...]}."""
    path = lab_dir / "chassis.json"
    if path.exists():
        return Chassis.from_dict(json.loads(path.read_text()))
    return Chassis()


@dataclass
class Lab:
    """A running lab as `open_lab` wired it; the services' `ServiceHost`."""

    lab_dir: Path
    router: Router
    addresses: AddressPlan | RealAddresses
    manifest: Manifest
    commands: CommandSet  # the shell's: every session on the lab's lines parses with it
    vty_frontend: Frontend  # the shell's, which SSH and telnet hand their lines to
    crl_source: CrlSource  # how the services fetch CRLs to validate peers
    services: Any = None  # ServiceManager, once started
    phones: Iterable[Any] = field(default_factory=list)
    pstn: Any = None  # lab/pstn.py's Pstn, once the lab runs one
    lab_services: list[Any] = field(default_factory=list)  # e.g. the lab's TACACS+ server

    async def service(self, name: str, timeout: float = 10.0):
        """The manifest entry of a service once it listens (services start in the background)."""
        with trio.fail_after(timeout):
            while True:
                for entry in self.services.entries() if self.services else []:
                    if entry.name == name:
                        return entry
                await trio.sleep(0.01)

    def outside_hosts(self) -> list[dict]:
        """The servers and managers the configuration names (syslog, NTP, AAA, SNMP)."""
        config = self.router.config
        return (outside_hosts(config, self.addresses) + aaa_hosts(self.router, self.addresses)
                + snmp_managers(config, self.addresses))

    def note_outside_hosts(self) -> None:
        """A configuration change: rewrite `lab.json` when the outside hosts it names changed."""
        if self.outside_hosts() != self.manifest.outside_hosts:
            self.write_manifest()

    def write_manifest(self) -> None:
        self.manifest.hostname = self.router.hostname
        self.manifest.services = self.services.entries() if self.services else []
        self.manifest.phones = [p.manifest_entry() for p in self.phones]
        # (first: mapping an outside host may add its subnet to the plan's list below)
        self.manifest.outside_hosts = self.outside_hosts()
        self.manifest.lab_services = [s.manifest_entry() for s in self.lab_services]
        self.manifest.pstn = self.pstn.manifest() if self.pstn is not None else {"calls": []}
        self.manifest.network = self.addresses.describe()
        self.manifest.write()


@asynccontextmanager
async def open_lab(lab_dir: Path, *, services: list[Any] | None = None,
                   addresses: AddressPlan | RealAddresses | None = None,
                   wan_interface: str | None = None) -> AsyncIterator[Lab]:
    """Boot the router in `lab_dir` and run its services until the block ends.

    Raises `LabInUse` when another process runs a lab in that folder. `wan_interface`: where
    peers outside every configured subnet arrive (the lab file's `wan-interface`).
    """
    from cucme_lab.services.aaa_client import AaaClient
    from cucme_lab.services.catalog import all_services
    from cucme_lab.services.manager import ServiceManager
    from cucme_lab.services.pki_client import crl_source_for
    from cucme_lab.shell.boot import reload_router
    from cucme_lab.shell.commands import command_set
    from cucme_lab.shell.vty import VtyFrontend

    lab_dir = Path(lab_dir)
    with lab_lock(lab_dir), ExitStack() as claims:  # LabInUse before anything in
        # the folder is read or written; the loopback range is this lab's while it runs
        plan = addresses or claims.enter_context(claimed_plan(lab_dir))
        router = Router.open(lab_dir, addresses=plan, chassis=load_chassis(lab_dir))
        router.wan_interface = wan_interface
        commands = command_set()
        await reload_router(router, commands)
        lab = Lab(lab_dir, router, plan, Manifest(lab_dir, router.hostname), commands,
                  vty_frontend=VtyFrontend(commands), crl_source=crl_source_for(router))
        manager = ServiceManager(lab, services if services is not None else all_services())
        lab.services = manager
        router.change_listeners.append(manager.poke)
        router.change_listeners.append(lab.note_outside_hosts)
        try:
            async with trio.open_nursery() as nursery:
                router.aaa.transport = client = AaaClient(router)  # AAA servers asked for real
                await nursery.start(client.run)
                await nursery.start(manager.run)
                lab.write_manifest()
                nursery.start_soon(keep_audit_current, lab)
                yield lab
                nursery.cancel_scope.cancel()
        finally:
            router.pki_runtime.release_reservations()
            router.change_listeners.remove(manager.poke)
            router.change_listeners.remove(lab.note_outside_hosts)
            router.aaa.transport = None
            lab.services = None
            lab.manifest.state = "stopped"
            lab.write_manifest()
