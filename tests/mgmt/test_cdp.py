"""CDP: the default lab's registered phones as neighbours on Vlan10, until CDP is turned off."""

from __future__ import annotations

import re

import trio
from ntc_templates.parse import parse_output
from snmp_lab import configure, shell


async def _registered(runtime) -> None:
    with trio.fail_after(30):
        while not all(p.state == "registered" for p in runtime.phones):
            await trio.sleep(0.05)


async def test_phones_are_neighbours_until_cdp_is_disabled(runtime):
    with trio.fail_after(60):
        await _registered(runtime)
        router = runtime.router
        out = await shell(router, "show cdp neighbors")
        assert "Device ID        Local Intrfce     Holdtme    Capability  Platform  Port ID\n" \
            in out
        assert re.search(r"\nSEPCAFECAFE1234  Vla 10            1\d\d               H P  "
                         r"IP Phone  Port 1\n", out), out
        assert out.count("IP Phone  Port 1") == 4
        detail = await shell(router, "show cdp neighbors detail")
        assert "Device ID: SEPCAFECAFE3456\nEntry address(es): \n  IP address: 1.2.3.23\n" \
               "Platform: Cisco IP Phone 7970,  Capabilities: Host Phone \n" \
               "Interface: Vlan10,  Port ID (outgoing port): Port 1\n" in detail
        # the firmware load the phone named in its Register, as a phone's CDP carries it
        assert re.search(r"Holdtime : 1\d\d sec\n\nVersion :\nSCCP41\.9-4-2SR3-1S\n\n"
                         r"advertisement version: 2\n", detail), detail
        parsed = parse_output(platform="cisco_ios", command="show cdp neighbors detail",
                              data=detail)  # ntc-templates reads it as a real router's
        assert len(parsed) == 4
        assert {(p["platform"], p["neighbor_description"], p["local_interface"])
                for p in parsed} >= {("Cisco IP Phone 7970", "SCCP41.9-4-2SR3-1S", "Vlan10")}
        assert "Global CDP information:" in await shell(router, "show cdp")
        await configure(router, "interface Vlan10\n no cdp enable\n")
        assert "SEP" not in await shell(router, "show cdp neighbors")
        assert " no cdp enable\n" in router.running_config()
        await configure(router, "interface Vlan10\n cdp enable\nno cdp run\n")
        assert "% CDP is not enabled" in await shell(router, "show cdp")
        assert "% CDP is not enabled" in await shell(router, "show cdp neighbors detail")
        assert "\nno cdp run\n" in router.running_config()
        await configure(router, "cdp run\n")
        assert (await shell(router, "show cdp neighbors")).count("IP Phone") == 4
