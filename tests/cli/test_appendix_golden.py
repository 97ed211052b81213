"""NSA Appendices B and C: the canonical running-config, its round trip, and its parse tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.router import Router
from cucme_lab.shell.boot import apply_config, reload_router
from cucme_lab.shell.commands import command_set

DATA = Path(__file__).resolve().parents[1] / "data"
APPENDICES = ["b", "c"]


def golden(name: str) -> str:
    return (DATA / f"golden_appendix_{name}.cfg").read_text()


@pytest.mark.parametrize("name", APPENDICES)
async def test_pasting_the_appendix_gives_the_canonical_running_config(shell, name):
    await shell.paste_config((DATA / f"nsa_appendix_{name}.txt").read_text())
    assert shell.router.startup_config_text() == golden(name)
    text = shell.router.running_config()
    head, rest = text.split(" bytes\n", 1)
    assert head.startswith("Building configuration...\n\nCurrent configuration : ")
    assert int(head.rsplit(" ", 1)[1]) == len(rest)
    assert rest.startswith("!\n! Last configuration change at ")
    assert rest.endswith(golden(name))


@pytest.mark.parametrize("name", APPENDICES)
async def test_running_config_round_trips_through_a_fresh_router(tmp_path, name):
    fresh = Router.open(tmp_path / "fresh", addresses=AddressPlan())
    out = await apply_config(fresh, golden(name), command_set())
    assert "% " not in out
    assert fresh.startup_config_text() == golden(name)


@pytest.mark.parametrize("name", APPENDICES)
async def test_write_memory_and_reload_keep_the_appendix(shell, name):
    await shell.paste_config((DATA / f"nsa_appendix_{name}.txt").read_text())
    await shell.type("write memory")
    await reload_router(shell.router, command_set())
    assert shell.router.startup_config_text() == golden(name)


def test_ciscoconfparse2_sees_the_expected_tree():
    from ciscoconfparse2 import CiscoConfParse

    parse = CiscoConfParse(config=golden("c").splitlines(), syntax="ios")
    tel = parse.find_parent_objects(["telephony-service"])
    assert len(tel) == 1
    children = [c.text.strip() for c in tel[0].children]
    assert "ip source-address 1.2.3.4 port 2000" in children
    assert "device-security-mode encrypted" in children
    ephones = parse.find_objects(r"^ephone\s+\d+$")
    assert [e.text for e in ephones] == ["ephone  1", "ephone  2", "ephone  3", "ephone  4"]
    assert [c.text.strip() for c in ephones[1].children] == [
        "device-security-mode authenticated", "mac-address CAFE.CAFE.2345",
        "ephone-template 2", "button  1:2"]
    templates = parse.find_objects(r"^ephone-template\s+\d+$")
    assert len(templates) == 2 and len(templates[0].children) == 9
    tp = parse.find_parent_objects(["crypto pki trustpoint CUCME_CAPF_TFTP_SAST1"])[0]
    assert [c.text.strip() for c in tp.children] == [
        "enrollment url http://1.2.3.4:80", "serial-number", "revocation-check crl",
        "rsakeypair CUCME_CAPF_TFTP_SAST1 1024 1024"]
    capf = parse.find_parent_objects(["capf-server"])[0]
    assert "auth-mode auth-string" in [c.text.strip() for c in capf.children]
