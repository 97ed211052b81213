"""The phone firmware's trust rules, each shown on a running lab."""

from __future__ import annotations

from dataclasses import replace

from phone_steps import type_lines, until
from procedures import AUTH_STRINGS, appendix_b, enrol


def registered(p) -> bool:
    return p.state == "registered"


async def secure_lab(runtime):
    """The default lab taken through Appendix B: four encrypted phones."""
    for phone in runtime.phones:
        await until(phone, registered)
    await type_lines(runtime.router, appendix_b())
    for phone, digits in zip(runtime.phones, AUTH_STRINGS, strict=True):
        await until(phone, lambda p: p.state == "waiting-auth-string" or
                    (registered(p) and p.security == "encrypted"))
        if phone.state == "waiting-auth-string":
            phone.key_in_auth_string(digits)
    for phone in runtime.phones:
        await until(phone, lambda p: registered(p) and p.security == "encrypted")


async def reset_phone(runtime, tag: int) -> None:
    await type_lines(runtime.router, ["enable", "configure terminal", f"ephone {tag}", "reset",
                                      "end"])


async def test_first_ctl_is_trusted_and_reset_downloads_again(runtime):
    await secure_lab(runtime)
    phone = runtime.phones[0]
    assert any("CTL Installed" in m for m in phone.messages)
    boots = sum("Booting" in m for m in phone.messages)
    await reset_phone(runtime, 1)
    await until(phone, lambda p: sum("Booting" in m for m in p.messages) > boots)
    await until(phone, lambda p: registered(p) and p.security == "encrypted")
    assert any("Trust List Not Updated" in m for m in phone.messages[-6:])


async def new_sasts(runtime) -> None:
    """Re-point the CTL client at two new SAST trustpoints and regenerate."""
    text = enrol("SAST3") + enrol("SAST4") + "ctl-client\n sast1 trustpoint SAST3\n" \
        " sast2 trustpoint SAST4\n regenerate\n"
    await type_lines(runtime.router, ["enable", "configure terminal", *text.splitlines(), "end"])


async def test_ctl_signed_by_an_unknown_sast_is_refused_until_the_ctl_is_erased(runtime):
    await secure_lab(runtime)
    phone = runtime.phones[0]
    old_ctl = phone.storage.ctl
    await new_sasts(runtime)
    await reset_phone(runtime, 1)
    await until(phone, lambda p: any("CTL file authentication failure" in m
                                     for m in p.messages))
    assert phone.storage.ctl == old_ctl
    # the settings menu is open on this phone (no template limits it): erase the CTL
    assert phone.erase_ctl()
    phone.reboot()
    await until(phone, lambda p: p.storage.ctl not in (None, old_ctl))
    assert any("CTL Installed" in m for m in phone.messages[-8:])


async def test_tampered_configuration_file_is_refused(runtime):
    await secure_lab(runtime)
    phone = runtime.phones[1]
    state = runtime.router.provisioning
    name = f"{phone.device_name}.cnf.xml.sgn"
    tampered = []
    for entry in state.group("cnf"):
        if entry.name == name:
            data = bytearray(entry.data)
            data[-20] ^= 0x01  # one bit of the XML, after the signed header
            entry = replace(entry, data=bytes(data))
        tampered.append(entry)
    state.publish("cnf", tampered)
    await reset_phone(runtime, 2)
    await until(phone, lambda p: "configuration file verification failure" in p.last_status)
    assert phone.state != "registered"


async def test_unsigned_file_is_refused_once_the_phone_has_a_ctl(runtime):
    await secure_lab(runtime)
    phone = runtime.phones[2]
    state = runtime.router.provisioning
    unsigned = [e for e in state.group("cnf") if not e.name.endswith(".sgn")]
    state.publish("cnf", unsigned)  # only SEP<MAC>.cnf.xml left, as with no TFTP credentials
    await reset_phone(runtime, 3)
    await until(phone, lambda p: "TFTP file not found" in p.last_status)
    assert phone.state != "registered"


async def test_erase_ctl_needs_settings_access(runtime):
    for phone in runtime.phones:
        await until(phone, registered)
    text = ["enable", "configure terminal", "telephony-service",
            " service phone settingsAccess 0", " create cnf-files", " reset all", "end"]
    await type_lines(runtime.router, text)
    phone = runtime.phones[0]
    await until(phone, lambda p: registered(p) and p.applied.settings_access == "disabled")
    assert not phone.erase_ctl()
    assert phone.last_status == "Settings access is disabled"
