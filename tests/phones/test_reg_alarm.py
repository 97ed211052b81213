"""A phone tells why its last registration ended when it registers: `%IPPHONE-6-REG_ALARM`."""

from __future__ import annotations

import trio
from phone_steps import registered, type_lines, until


async def test_a_reset_phone_registers_again_with_a_reg_alarm(runtime):
    for phone in runtime.phones:
        await until(phone, registered)
    phone = runtime.phones[0]
    await type_lines(runtime.router, ["enable", "configure terminal", "ephone 1", " reset",
                                      "end"])
    text = (f"%IPPHONE-6-REG_ALARM: 22: Name={phone.device_name} Load=SCCP41.9-4-2SR3-1S "
            "Last=Reset-Reset")
    with trio.fail_after(30):
        while not runtime.router.log.contains(text):
            await trio.sleep(0.05)
    await until(phone, registered)
    # each phone told at power-on that it was initialized
    for p in runtime.phones:
        assert runtime.router.log.contains(
            f"%IPPHONE-6-REG_ALARM: 25: Name={p.device_name} Load=SCCP41.9-4-2SR3-1S "
            "Last=Initialized")
