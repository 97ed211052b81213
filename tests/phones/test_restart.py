"""A rolled-out lab restarted: saved, it comes back encrypted; unsaved, phones that trust the old
CTL stay out until their trust list is erased, as on a real site."""

from __future__ import annotations

import re

import trio
from phone_steps import registered, type_lines, until
from procedures import CA_AND_TRUSTPOINTS, CTL_CLIENT, enrol

from cucme_lab.lab.controls import run_control, toolbar
from cucme_lab.lab.runtime import run_lab
from cucme_lab.router.provisioning.tftp_table import published
from cucme_lab.wire.cnf_xml import parse_cnf_xml

# Sections 3.3 and 4.1 with the global operation: every phone is upgraded, each with the
# string `auth-string generate all` made for it.
GLOBAL_ROLLOUT = (CA_AND_TRUSTPOINTS + enrol("CUCME_CAPF_TFTP_SAST1") + enrol("SAST2") + """\
capf-server
 port 3804
 auth-mode auth-string
 cert-enroll-trustpoint CAServer password 0 lablablab
 trustpoint-label CUCME_CAPF_TFTP_SAST1
 source-addr 1.2.3.4
 cert-oper upgrade all
 auth-string generate all
""" + CTL_CLIENT + """\
telephony-service
 secure-signaling trustpoint CUCME_CAPF_TFTP_SAST1
 tftp-server-credentials trustpoint CUCME_CAPF_TFTP_SAST1
 cnf-file perphone
 device-security-mode encrypted
 create cnf-files
 reset all
""")


def rollout() -> list[str]:
    return ["enable", "configure terminal", *GLOBAL_ROLLOUT.splitlines(), "end"]


def auth_strings(show: str) -> dict[str, str]:
    """`show capf-server auth-string` rows: MAC (no dots) -> string."""
    return dict(re.findall(r"^([0-9A-F]{12})\s+(\d{4,10})\s*$", show, re.M))


async def roll_out(rt) -> None:
    for phone in rt.phones:
        await until(phone, registered)
    out = await type_lines(rt.router, rollout())
    assert "% Invalid" not in out and "% Incomplete" not in out, out
    strings = auth_strings(await type_lines(rt.router, ["enable",
                                                        "show capf-server auth-string"]))
    assert set(strings) == {p.mac for p in rt.phones}
    for phone in rt.phones:
        await until(phone, lambda p: p.state == "waiting-auth-string", 30)
        details = await run_control(rt, f"phone {phone.mac}")
        assert "show capf-server auth-string" in details
        assert "asks for its CAPF string (show capf-server auth-string" in toolbar(rt)
        phone.key_in_auth_string(strings[phone.mac])
    for phone in rt.phones:
        await until(phone, lambda p: registered(p) and p.security == "encrypted", 30)
    assert rt.router.log.contains("%CAPF-6-CERT_INSTALLED")
    # the completed operation leaves each phone's file: its next boot goes straight on
    with trio.fail_after(10):
        while any(pending(rt, p) for p in rt.phones):
            await trio.sleep(0.05)


def pending(rt, phone) -> bool:
    data = published(rt.router).get(f"{phone.device_name}.cnf.xml")
    return data is None or parse_cnf_xml(data).capf_operation_pending


async def test_a_saved_rollout_comes_back_encrypted_without_keying_anything(tmp_path):
    with trio.fail_after(150):
        async with run_lab(tmp_path / "lab", time_scale=0.1) as rt:
            await roll_out(rt)
            issued = {p.mac: p.storage.lsc[0].serial_number for p in rt.phones}
            # the fourth phone's LSC is revoked: CME has no valid record of it any more
            last = rt.phones[3]
            await type_lines(rt.router, ["enable", "crypto pki server CAServer revoke "
                                         f"{issued[last.mac]}", "write memory"])
        async with run_lab(tmp_path / "lab", time_scale=0.1) as rt:
            assert "cert-oper upgrade all" in rt.router.running_config()
            for phone in rt.phones[:3]:
                await until(phone, lambda p: registered(p) and p.security == "encrypted", 40)
                assert "waiting-auth-string" not in phone.timings
                assert phone.storage.lsc[0].serial_number == issued[phone.mac]
            last = rt.phones[3]
            await until(last, lambda p: p.state == "waiting-auth-string", 40)
            assert rt.router.log.contains(f"%CAPF-6-OPER_PENDING: ephone 4 {last.device_name}")
            assert "no record of its operation" in await run_control(rt, f"phone {last.mac}")


async def test_a_wrong_or_missing_string_is_refused_and_says_why(runtime):
    """Without `auth-string generate` the router holds no string: keying one in fails, and
    the router's log says where the string should come from."""
    rt = runtime
    for phone in rt.phones:
        await until(phone, registered)
    text = GLOBAL_ROLLOUT.replace(" auth-string generate all\n", "")
    out = await type_lines(rt.router, ["enable", "configure terminal", *text.splitlines(),
                                       "end"])
    assert "% Invalid" not in out, out
    shown = await type_lines(rt.router, ["enable", "show capf-server auth-string"])
    assert auth_strings(shown) == {}
    phone = rt.phones[0]
    await until(phone, lambda p: p.state == "waiting-auth-string", 30)
    phone.key_in_auth_string("1234")
    with trio.fail_after(30):
        while not rt.router.log.contains("no authentication string"):
            await trio.sleep(0.05)
    await until(phone, lambda p: p.state == "waiting-auth-string", 30)


async def test_an_unsaved_secure_lab_restarted_recovers_by_a_phone_factory_reset(tmp_path):
    with trio.fail_after(150):
        async with run_lab(tmp_path / "lab", time_scale=0.1) as rt:
            await roll_out(rt)
        async with run_lab(tmp_path / "lab", time_scale=0.1) as rt:
            # flash keeps the file, but a router without ctl-client serves no CTL
            assert (tmp_path / "lab" / "flash" / "CTLFile.tlv").exists()
            assert published(rt.router).get("CTLFile.tlv") is None
            phone = rt.phones[0]
            name = f"{phone.device_name}.cnf.xml.sgn"
            await until(phone, lambda p: name in p.last_status, 30)
            assert phone.last_status == f"TFTP file not found: {name}"
            assert "erase" in await run_control(rt, f"phone {phone.mac}")
            assert await run_control(rt, "factory-reset all") == ""
            for phone in rt.phones:
                await until(phone, lambda p: registered(p) and p.security == "non-secure", 40)
                assert phone.storage.ctl is None and phone.storage.lsc is None
                assert phone.storage.mic is not None
