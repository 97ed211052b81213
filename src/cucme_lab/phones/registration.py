"""The last stage of the phone's boot: register with the call server the file names, and stay.

The configuration file's device security mode decides the transport: non-secure phones use
plain TCP on `ethernetPhonePort`; authenticated and encrypted phones need a trust list (to know
the server's certificate) and a certificate of their own (LSC, else MIC), and use TLS on 2443.
A Restart from the router registers again; a Reset reboots the phone from the start.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import trio

from cucme_lab.phones.sccp_client import SccpPhone
from cucme_lab.wire import sccp
from cucme_lab.wire.cnf_xml import DeviceConfig
from cucme_lab.wire.ctl import CtlFile, Role

if TYPE_CHECKING:
    from cucme_lab.phones.phone import Phone

MODE_NAMES = {1: "none", 2: "authenticated", 3: "encrypted"}
SECURITY_STATE = {1: "non-secure", 2: "authenticated", 3: "encrypted"}


async def register_and_stay(phone: Phone, config: DeviceConfig, ctl: CtlFile | None) -> str:
    """Returns "reset" when the phone must reboot, "failed" when it should retry later."""
    if not config.call_managers:
        phone.status("No CallManager in the configuration file")
        return "failed"
    member = sorted(config.call_managers, key=lambda m: m.priority)[0]
    mode = config.device_security_mode or 1
    secure = mode in (2, 3)
    cert = key = None
    if secure:
        if ctl is None or not ctl.with_role(Role.CCM, Role.CCM_TFTP):
            phone.status("No Trust List installed: cannot register securely")
            return "failed"
        identity = phone.credential()
        if identity is None:
            phone.status("No certificate installed: cannot register securely")
            return "failed"
        cert, key = identity
    port = config.registration_port(member) or 2000
    host, port = phone.network.route(member.process_node_name or "", port)
    client = SccpPhone(phone.mac, station_ip=phone.network.address,
                       local_address=phone.network.local_address,
                       device_type=phone.model.device_type, security_mode=MODE_NAMES[mode],
                       certificate=cert, key=key, ctl=ctl, time_scale=phone.time_scale,
                       lines=phone.model.lines,
                       dropped=lambda: phone.network.blocked,
                       route=phone.network.route, on_change=phone.calls_changed)
    client.last_down = phone.last_down
    phone.last_down = None
    phone.registration = client
    phone.set_state("registering")
    while True:
        async with trio.open_nursery() as nursery:
            client.media_nursery = nursery  # the calls' media run here, ended with it
            nursery.start_soon(_mirror_status, phone, client)
            await client.run(host, port)
            nursery.cancel_scope.cancel()
        phone.security = "non-secure"
        if client.resets and client.status in ("Restarting", "Resetting"):
            if client.resets[-1] == sccp.ResetType.RESTART:
                client.resets.clear()
                client.last_down = "Reset-Restart"
                continue  # a Restart: register again without rebooting
            phone.last_down = "Reset-Reset"
            return "reset"
        phone.set_state("rejected" if client.reject_text else "unregistered")
        return "failed"


async def _mirror_status(phone: Phone, client: SccpPhone) -> None:
    """Copy the call-control client's status onto the phone's screen as it changes."""
    shown = None
    while True:
        if client.status != shown:
            shown = client.status
            phone.status(shown)
            if client.registered:
                mode = phone.config.device_security_mode if phone.config else 1
                phone.security = SECURITY_STATE.get(mode or 1, "non-secure")
                phone.set_state("registered")
        await client.wait_for(lambda c, last=shown: c.status != last, timeout=math.inf)
