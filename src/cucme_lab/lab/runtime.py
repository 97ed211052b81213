"""A whole lab running: the router with its services, and the lab's phones.

This is where the router (`router`) and the phones (`phones`) meet: phones get their
addresses from the lab's address plan, find the TFTP server the way DHCP option 150 would tell
them (the router's `ip source-address`), and reach configured addresses through loopback.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio
from cryptography.hazmat.primitives.asymmetric import rsa

from cucme_lab.lab.labfile import DEFAULT_LAB, LabFile, load_lab
from cucme_lab.lab.lock import lab_lock
from cucme_lab.lab.pstn import Pstn
from cucme_lab.lab.real_addresses import RealAddresses
from cucme_lab.lab.router_lab import Lab, open_lab
from cucme_lab.lab.tacacs_server import TACACS_PORT, LabTacacsServer, TacacsSpec
from cucme_lab.phones.fleet import Fleet, PhoneSpec
from cucme_lab.phones.manufacturing import ManufacturingCA
from cucme_lab.phones.phone import Phone, PhoneNetwork
from cucme_lab.router.telephony.settings import telephony_service

TFTP_PORT = 69


@dataclass
class LabRuntime:
    lab: Lab
    fleet: Fleet
    labfile: LabFile
    manufacturing: ManufacturingCA
    tacacs: LabTacacsServer | None = None  # the lab file's TACACS+ server, when it has one

    @property
    def router(self):
        return self.lab.router

    def phone(self, ident: str | int) -> Phone:
        return self.fleet.get(str(ident))

    @property
    def phones(self) -> list[Phone]:
        return list(self.fleet.phones.values())

    def tftp_server(self) -> tuple[str, int]:
        """Option 150: the router's SCCP source address, as reachable on loopback."""
        router = self.lab.router
        tel = telephony_service(router.config)
        address = tel.source_address if tel is not None else None
        for entry in self.lab.services.entries() if self.lab.services else []:
            if entry.name == "tftp" and (address is None or
                                         entry.configured_address == address):
                return entry.bound_address, entry.bound_port
        return (self.lab.addresses.to_loopback(address or "127.0.0.1"),
                self.lab.addresses.port(TFTP_PORT))

    def network_for(self, spec: PhoneSpec) -> PhoneNetwork:
        plan = self.lab.addresses
        address = spec.address or self._free_address()
        return PhoneNetwork(address=address, local_address=plan.to_loopback(address),
                            tftp=self.tftp_server,
                            route=lambda a, p: (plan.to_loopback(a), plan.port(p)),
                            listen_port=plan.port)

    def _free_address(self) -> str:
        used = {p.network.address for p in self.phones}
        tel = telephony_service(self.lab.router.config)
        base = (tel.source_address if tel is not None else None) or "10.0.0.1"
        prefix = base.rsplit(".", 1)[0]
        for host in range(21, 255):
            if f"{prefix}.{host}" not in used:
                return f"{prefix}.{host}"
        raise RuntimeError("no address left for another phone")

    def add_phone(self, spec: PhoneSpec, boot: bool = True) -> Phone:
        phone = self.fleet.add(spec)
        if boot:
            self.fleet.power_on(phone)
        self.lab.write_manifest()
        return phone


def _mic(manufacturing: ManufacturingCA):
    def issue(device_name: str):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return manufacturing.issue_mic(device_name, key), key
    return issue


def tacacs_server_for(lab: Lab, spec: TacacsSpec) -> LabTacacsServer:
    """The lab's TACACS+ server at the loopback address its configured one maps to."""
    server = LabTacacsServer(spec, lab.addresses.to_loopback(spec.address),
                             lab.addresses.port(TACACS_PORT), on_record=lab.write_manifest)
    lab.lab_services.append(server)
    return server


@asynccontextmanager
async def run_lab(lab_dir: Path, labfile: LabFile | None = None, *, boot_phones: bool = True,
                  time_scale: float = 1.0, addresses: RealAddresses | None = None
                  ) -> AsyncIterator[LabRuntime]:
    """Start the router and the lab's phones; stop everything when the block ends.

    The lab file's start-up configuration is written to NVRAM when the lab folder has none
    yet (a new lab), so a saved configuration is never overwritten. The router boots from it
    and saves it at once, so NVRAM holds it as IOS writes a configuration (what `show
    startup-config` shows), not as the lab file spells it. With `addresses` (real addresses)
    the services bind the configured addresses themselves instead of the lab's loopback range.
    """
    lab_dir = Path(lab_dir)
    labfile = labfile or load_lab(DEFAULT_LAB)
    async with AsyncExitStack() as stack:
        stack.enter_context(lab_lock(lab_dir))  # before the folder is seeded
        nvram = lab_dir / "nvram" / "startup-config"
        seeded = bool(labfile.startup_config) and not nvram.exists()
        if seeded:
            nvram.parent.mkdir(parents=True, exist_ok=True)
            nvram.write_text(labfile.startup_config)
        if labfile.chassis and not (lab_dir / "chassis.json").exists():
            (lab_dir / "chassis.json").write_text(json.dumps(labfile.chassis))
        lab = await stack.enter_async_context(
            open_lab(lab_dir, addresses=addresses, wan_interface=labfile.wan_interface))
        if seeded:
            lab.router.write_memory("")
        manufacturing = ManufacturingCA.load_or_create(lab_dir)
        runtime: LabRuntime | None = None
        fleet = Fleet(lab_dir / "phones", lambda spec: runtime.network_for(spec),
                      time_scale=time_scale, on_change=lab.write_manifest,
                      mic_issuer=_mic(manufacturing))
        runtime = LabRuntime(lab, fleet, labfile, manufacturing)
        lab.phones = fleet.phones.values()  # the manifest lists them live
        async with trio.open_nursery() as nursery:
            lab.pstn = Pstn(lab.router, labfile.pstn, lab.addresses.to_loopback,
                            on_change=lab.write_manifest, time_scale=time_scale)
            await nursery.start(lab.pstn.run)
            if labfile.tacacs is not None:
                runtime.tacacs = tacacs_server_for(lab, labfile.tacacs)
                await nursery.start(runtime.tacacs.run)
            await nursery.start(fleet.run)
            for spec in labfile.phones:
                runtime.add_phone(spec, boot=boot_phones)
            yield runtime
            nursery.cancel_scope.cancel()
