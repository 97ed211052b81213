"""A simulated SCCP IP phone that boots like the firmware does.

Boot: TFTP the trust list (the first one is trusted; later ones only if signed by a SAST the
phone already trusts), TFTP its configuration (signed `.sgn` once it has a trust list, checked
against the list's TFTP record; unsigned or tampered files are then refused), apply it (the
hardening values change the phone: its web page really opens or closes), run CAPF when the file
says an operation is pending (in auth-string mode only once the user has keyed in the string),
then register, plain on 2000 or TLS on 2443 as the file's security mode says, and keep alive.
A Reset reboots from the start, a Restart registers again. Every step and failure leaves a line
on the phone's Status Messages screen; a failed step is retried with a bounded backoff.

The phone knows only what travels on the wire: the lab gives it, like DHCP would, its address,
the loopback address it binds, the TFTP server, and how configured addresses reach loopback.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

import trio
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cucme_lab.phones.calls import CallError, PhoneCall
from cucme_lab.phones.capf_client import run_capf
from cucme_lab.phones.models import PhoneModel
from cucme_lab.phones.sccp_client import SccpPhone
from cucme_lab.phones.storage import PhoneStorage
from cucme_lab.phones.tftp import TftpFailure, download
from cucme_lab.phones.web import PhoneWebPage
from cucme_lab.wire import capf
from cucme_lab.wire.cnf_xml import CnfFormatError, DeviceConfig, parse_cnf_xml
from cucme_lab.wire.ctl import CtlFile, CtlFormatError, Role, parse_ctl, verify_ctl
from cucme_lab.wire.sgn import SgnFormatError, parse_sgn, verify_sgn_with_ctl
from cucme_lab.wire.signed_header import HeaderFormatError, VerificationError

MAX_BACKOFF = 30.0
SECURITY = {1: "non-secure", 2: "authenticated", 3: "encrypted"}
MODE_NAMES = {1: "none", 2: "authenticated", 3: "encrypted"}


@dataclass
class PhoneNetwork:
    """What the phone learns from DHCP, and how the lab's wires reach configured addresses."""

    address: str  # the phone's configured IP address
    local_address: str  # the loopback address its sockets bind
    tftp: Callable[[], tuple[str, int]]  # option 150, as a reachable address and port
    route: Callable[[str, int], tuple[str, int]]  # configured (addr, port) -> reachable
    listen_port: Callable[[int], int] = lambda port: port  # a port below 1024 may move up
    # lab fault hook (scenarios' `drop-traffic`): while set, the phone's open connections to
    # the router carry nothing either way (new connections are routed into a black hole)
    blocked: bool = False


@dataclass
class Applied:
    """What the configuration file changed on the phone (the hardening values)."""

    web_access: str = "enabled"
    settings_access: str = "enabled"
    pc_port: str = "enabled"
    span_to_pc_port: str = "enabled"
    voice_vlan_access: str = "enabled"
    garp: str = "enabled"
    speaker: str = "enabled"
    headset: str = "enabled"
    forwarding_delay: int | None = None


class Phone:
    def __init__(self, mac: str, model: PhoneModel, network: PhoneNetwork,
                 storage: PhoneStorage, *, time_scale: float = 1.0) -> None:
        self.mac = mac.replace(".", "").replace(":", "").upper()
        self.model = model
        self.network = network
        self.storage = storage
        self.time_scale = time_scale
        self.state = "off"
        self.security = "non-secure"
        self.messages: list[str] = []
        self.config: DeviceConfig | None = None
        self.applied = Applied()
        self.web = PhoneWebPage(self)
        self.registration: SccpPhone | None = None  # the client of the current registration
        self._auth_string: str | None = None
        self.last_down: str | None = None  # why its last registration ended (a Reset)
        self._auth_entered = trio.Event()
        self._changed = trio.Event()
        self.changes = 0
        self.timings: dict[str, float] = {}  # state -> seconds since the boot began
        self._boot_started = time.monotonic()
        self._power: trio.CancelScope | None = None
        self._reboot = False
        self.clock_offset = 0.0  # lab hook (scenarios' `set-clock`): the phone's clock error

    def now(self) -> datetime.datetime:
        """The phone's own clock (local time): host time plus `clock_offset` seconds."""
        return datetime.datetime.now() + datetime.timedelta(seconds=self.clock_offset)

    # --- identity and display ------------------------------------------------------------
    @property
    def device_name(self) -> str:
        return "SEP" + self.mac

    def status(self, text: str) -> None:
        """A line on the phone's Status Messages screen (newest last)."""
        stamp = self.now().strftime("%H:%M:%S")
        self.messages.append(f"{stamp} {text}")
        del self.messages[:-50]
        self._bump()

    def _bump(self) -> None:
        self.changes += 1
        self._changed.set()
        self._changed = trio.Event()

    @property
    def last_status(self) -> str:
        return self.messages[-1].split(" ", 1)[1] if self.messages else ""

    def set_state(self, state: str) -> None:
        """Change state; the first time each state is reached in a boot is kept in `timings`."""
        if state == "booting":
            self._boot_started = time.monotonic()
            self.timings = {}
        self.timings.setdefault(state, time.monotonic() - self._boot_started)
        self.state = state
        self._bump()

    async def wait_until(self, predicate: Callable[[Phone], bool], timeout: float = 20.0
                         ) -> None:
        with trio.fail_after(timeout):
            while not predicate(self):
                await self._changed.wait()

    def manifest_entry(self) -> dict:
        return {"mac": self.mac, "device": self.device_name, "model": self.model.name,
                "address": self.network.address, "bound_address": self.network.local_address,
                "state": self.state, "security": self.security, "status": self.last_status,
                "lsc": self.storage.lsc is not None, "ctl": self.storage.ctl is not None,
                "calls": [c.summary() for c in self.calls]}

    # --- calls ---------------------------------------------------------------------------
    @property
    def calls(self) -> list[PhoneCall]:
        """The phone's calls now, by line (none unless registered)."""
        client = self.registration
        if client is None or not client.registered:
            return []
        return [client.calls[line] for line in sorted(client.calls)]

    def calls_changed(self) -> None:
        """A call changed (state, media counters): waiters and the manifest see it."""
        self._bump()

    def _client(self) -> SccpPhone:
        client = self.registration
        if client is None or not client.registered:
            raise CallError(f"{self.device_name} is not registered")
        return client

    async def dial(self, digits: str, line: int | None = None) -> PhoneCall:
        """Lift the handset and key in `digits`."""
        return await self._client().dial(digits, line, timeout=5 * max(self.time_scale, 1))

    async def answer(self, line: int | None = None, soft_key: bool = False) -> PhoneCall:
        return await self._client().answer(line, soft_key)

    async def hang_up(self, line: int | None = None, soft_key: bool = False) -> PhoneCall:
        return await self._client().hang_up(line, soft_key)

    async def hold(self, line: int | None = None) -> PhoneCall:
        return await self._client().hold(line)

    async def resume(self, line: int | None = None) -> PhoneCall:
        return await self._client().resume(line)

    async def transfer(self, digits: str | None = None, line: int | None = None,
                       blind: bool = True) -> PhoneCall:
        return await self._client().transfer(digits, line, blind,
                                             timeout=5 * max(self.time_scale, 1))

    async def conference(self, digits: str | None = None, line: int | None = None
                         ) -> PhoneCall:
        return await self._client().conference(digits, line,
                                               timeout=5 * max(self.time_scale, 1))

    # --- things a person does to the phone ---------------------------------------------
    def key_in_auth_string(self, digits: str) -> None:
        """The user types the CAPF authentication string on the keypad."""
        self._auth_string = digits
        self._auth_entered.set()

    def erase_ctl(self) -> bool:
        """Settings > Security Configuration > CTL File > Erase: only with settings access."""
        if self.applied.settings_access != "enabled":
            self.status("Settings access is disabled")
            return False
        self.storage.erase_ctl()
        self.status("CTL File erased")
        return True

    def factory_reset(self) -> None:
        """Erase what the phone keeps (trust list, LSC, settings) and what it was told: the
        next power-on boots it as it left the factory. Call it while the phone is off."""
        self.storage.factory_reset()
        self.messages.clear()
        self.config = None
        self.applied = Applied()
        self.security = "non-secure"
        self._auth_string = None
        self._auth_entered = trio.Event()
        self.last_down = None
        self._bump()

    def reboot(self) -> None:
        """Reset (from the router, or a power cycle): boot from the start."""
        self._reboot = True
        if self._power is not None:
            self._power.cancel()

    # --- the firmware --------------------------------------------------------------------
    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Power on and keep running (rebooting on Reset) until cancelled (power off)."""
        task_status.started()
        self.last_down = "Initialized"  # powered on: its first registration says so
        backoff = 1.0
        try:
            async with trio.open_nursery() as nursery:
                self.web.attach(nursery)
                while True:
                    self._reboot = False
                    with trio.CancelScope() as self._power:
                        outcome = await self.boot_once()
                    if self._reboot or outcome == "reset":
                        backoff = 1.0
                        continue
                    if outcome == "failed":
                        await trio.sleep(backoff * self.time_scale)
                        backoff = min(backoff * 2, MAX_BACKOFF)
        finally:
            self.web.close()
            self.set_state("off")

    async def boot_once(self) -> str:
        self.set_state("booting")
        self.status("Booting")
        ctl = await self.load_trust_list()
        self.set_state("configuring")
        config = await self.load_configuration(ctl)
        if config is None:
            return "failed"
        self.config = config
        self.apply(config)
        if config.capf_operation_pending and not await self.run_capf(config, ctl):
            return "failed"
        return await self.register(config, ctl)

    async def _tftp(self, name: str) -> bytes:
        host, port = self.network.tftp()
        return await download(host, port, name, local_address=self.network.local_address)

    async def load_trust_list(self) -> CtlFile | None:
        """Fetch the CTL; install it under the firmware's rules; return the one in force."""
        installed = self._installed_ctl()
        try:
            try:
                data = await self._tftp(f"CTL{self.device_name}.tlv")
            except TftpFailure:
                data = await self._tftp("CTLFile.tlv")
        except TftpFailure:
            if installed is None:
                self.status("No Trust List installed")
            return installed
        try:
            new = parse_ctl(data)
        except CtlFormatError as exc:
            self.status(f"Trust List Update Failed: CTL file format error ({exc})")
            return installed
        if installed is not None and data == self.storage.ctl:
            self.status("Trust List Not Updated")
            return installed
        try:
            verify_ctl(new, installed.sast_records if installed is not None else None)
        except (VerificationError, CtlFormatError, HeaderFormatError):
            self.status("Trust List Update Failed: CTL file authentication failure")
            return installed
        self.storage.install_ctl(data)
        self.status("Trust List Updated" if installed is not None else "CTL Installed")
        return new

    def _installed_ctl(self) -> CtlFile | None:
        data = self.storage.ctl
        if data is None:
            return None
        try:
            return parse_ctl(data)
        except CtlFormatError:
            return None

    async def load_configuration(self, ctl: CtlFile | None) -> DeviceConfig | None:
        name = f"{self.device_name}.cnf.xml"
        signed = ctl is not None and bool(ctl.with_role(Role.TFTP, Role.CCM_TFTP))
        try:
            if signed:
                data = await self._tftp(name + ".sgn")
                try:
                    sgn = parse_sgn(data)
                    verify_sgn_with_ctl(sgn, ctl)
                except (SgnFormatError, VerificationError, HeaderFormatError, LookupError):
                    self.status(f"File Auth Error: {name}.sgn configuration file "
                                "verification failure")
                    return None
                data = sgn.content
            else:
                try:
                    data = await self._tftp(name)
                except TftpFailure:
                    data = await self._tftp("XMLDefault.cnf.xml")
        except TftpFailure as exc:
            self.status(f"{exc.status}: {exc.detail}")
            return None
        try:
            return parse_cnf_xml(data)
        except CnfFormatError:
            self.status(f"Configuration file error: {name}")
            return None

    def apply(self, config: DeviceConfig) -> None:
        """The vendorConfig values take effect, as the NSA guide's Table 1 defines them."""
        v = config.vendor_config
        a = Applied()
        if v is not None:
            on_off = {0: "enabled", 1: "disabled"}
            if v.web_access is not None:
                a.web_access = {0: "enabled", 1: "disabled", 2: "read-only"}.get(
                    v.web_access, "enabled")
            if v.settings_access is not None:
                a.settings_access = {0: "disabled", 1: "enabled", 2: "restricted"}.get(
                    v.settings_access, "enabled")
            for attr, value in (("pc_port", v.pc_port), ("span_to_pc_port", v.span_to_pc_port),
                                ("voice_vlan_access", v.voice_vlan_access), ("garp", v.garp)):
                if value is not None:
                    setattr(a, attr, on_off.get(value, "enabled"))
            if v.disable_speaker:
                a.speaker = "disabled"
            if v.disable_speaker_and_headset:
                a.speaker = a.headset = "disabled"
            a.forwarding_delay = v.forwarding_delay
        self.applied = a
        self.web.follow(a.web_access)

    def credential(self) -> tuple[x509.Certificate, object] | None:
        """The phone's identity for TLS: its LSC, else its MIC."""
        return self.storage.lsc or self.storage.mic

    async def run_capf(self, config: DeviceConfig, ctl: CtlFile | None) -> bool:
        mode = config.capf_auth_mode
        server = config.capf_servers[0]
        if mode == 1 and self._auth_string is None:
            self.set_state("waiting-auth-string")
            self.status("LSC: Enter Authentication String")
            await self._auth_entered.wait()
        self.set_state("enrolling")
        self.status("LSC: Operation Pending")
        host, port = self.network.route(server.process_node_name or "", server.phone_port or 3804)
        capf_cert = None
        if ctl is not None:
            records = ctl.with_role(Role.CAPF)
            if records and records[0].certificate:
                capf_cert = x509.load_der_x509_certificate(records[0].certificate)
        lsc, mic = self.storage.lsc, self.storage.mic
        result = await run_capf(
            host, port, device_name=self.device_name, capf_certificate=capf_cert,
            auth_string=self._auth_string if mode == 1 else None,
            auth_mode={1: capf.AuthType.PASSWORD, 2: capf.AuthType.NO_PASSWORD,
                       3: capf.AuthType.LSC, 4: capf.AuthType.MIC}[mode],
            lsc=_credential(lsc), mic=_credential(mic),
            local_address=self.network.local_address, timeout=60 * max(self.time_scale, 0.1))
        # the string served this operation only: the next one asks the user again
        self._auth_string = None
        self._auth_entered = trio.Event()
        if result.deleted:
            self.storage.delete_lsc()
            self.status("LSC: Deleted")
        elif result.lsc is not None and result.lsc.private_key is not None and \
                (lsc is None or result.lsc.certificate_der != _der(lsc[0])):
            self.storage.install_lsc(x509.load_der_x509_certificate(result.lsc.certificate_der),
                                     result.lsc.private_key)
            self.status("LSC: Installation Success")
        if not result.ok:
            self.status(f"LSC: Operation Failed ({result.detail or 'reason '}"
                        f"{'' if result.detail else result.reason})")
            return False
        return True

    async def register(self, config: DeviceConfig, ctl: CtlFile | None) -> str:
        from cucme_lab.phones.registration import register_and_stay

        return await register_and_stay(self, config, ctl)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _credential(pair) -> capf.CertificateCredential | None:
    if pair is None:
        return None
    return capf.CertificateCredential(_der(pair[0]), pair[1])
