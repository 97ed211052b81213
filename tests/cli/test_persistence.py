"""NVRAM: write memory, erase, reload; the configuration survives exactly as saved."""

from __future__ import annotations

import os

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.router.router import Router
from cucme_lab.router.storage import atomic_write
from cucme_lab.shell.boot import reload_router
from cucme_lab.shell.commands import command_set

CONFIG = """\
hostname CME1
enable secret s3cret
username admin privilege 15 secret adminpw
service password-encryption
interface Vlan10
 ip address 10.1.1.1 255.255.255.0
line vty 0 4
 access-class 10 in
 login local
 transport input ssh
access-list 10 permit 10.1.1.0 0.0.0.255
ntp server 10.1.1.5
ip http server
"""


async def test_write_memory_then_reload_restores_the_same_configuration(shell):
    await shell.paste_config(CONFIG)
    before = shell.router.startup_config_text()
    out = await shell.type("write memory")
    assert "Building configuration...\n[OK]\n" in out
    out = await shell.type("reload", "")
    assert "Proceed with reload? [confirm]" in out
    assert shell.router.hostname == "CME1"
    assert shell.router.startup_config_text() == before


async def test_unsaved_changes_are_lost_on_reload_and_prompted_for(shell):
    await shell.paste_config("hostname SAVED")
    await shell.type("write")
    await shell.paste_config("hostname UNSAVED")
    out = await shell.type("reload", "no", "")
    assert "System configuration has been modified. Save? [yes/no]: " in out
    assert shell.router.hostname == "SAVED"


async def test_copy_run_start_asks_for_the_destination(shell):
    await shell.paste_config("hostname COPIED")
    out = await shell.type("copy running-config startup-config", "")
    assert "Destination filename [startup-config]? \nBuilding configuration...\n[OK]" in out
    assert "hostname COPIED" in shell.router.startup_config()


async def test_erase_startup_config(shell):
    await shell.type("write memory")
    out = await shell.type("erase startup-config", "")
    assert "Erasing the nvram filesystem will remove all configuration files! Continue? " \
           "[confirm]" in out
    assert "[OK]\nErase of nvram: complete" in out
    assert "%SYS-7-NV_BLOCK_INIT: Initialized the geometry of nvram" in out
    assert shell.router.startup_config() is None
    out = await shell.type("show startup-config")
    assert "startup-config is not present" in out


async def test_round_trip_through_a_fresh_router(shell, tmp_path):
    await shell.paste_config(CONFIG)
    text = shell.router.startup_config_text()
    other = Router.open(tmp_path / "other", addresses=AddressPlan())
    from cucme_lab.shell.boot import apply_config

    out = await apply_config(other, text, command_set())
    assert "Invalid" not in out and "Incomplete" not in out
    assert other.startup_config_text() == text


async def test_reload_rebuilds_from_nvram_files(tmp_path):
    router = Router.open(tmp_path / "lab", addresses=AddressPlan())
    router.storage.write_nvram("startup-config", "hostname FROMDISK\n!\nend\n")
    await reload_router(router, command_set())
    assert router.hostname == "FROMDISK"
    assert router.last_change is None and not router.unsaved_changes


def test_atomic_write_leaves_old_or_new_never_torn(tmp_path):
    path = tmp_path / "startup-config"
    atomic_write(path, b"old")
    atomic_write(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []


async def test_secrets_are_hashed_and_passwords_encrypted(shell):
    await shell.paste_config(CONFIG + "line con 0\n password cisco\n")
    text = shell.router.running_config()
    assert "enable secret 5 $1$" in text
    assert "username admin privilege 15 secret 5 $1$" in text
    assert "s3cret" not in text and "adminpw" not in text
    assert " password 7 " in text and "password cisco" not in text


async def test_keys_survive_reload_only_when_saved(shell):
    shell.router.storage.write_nvram("startup-config", "hostname K1\nip domain name lab.local\n")
    await reload_router(shell.router, command_set())
    out = await shell.type("conf t", "crypto key generate rsa general-keys label SAVED "
                           "modulus 512", "end", "write memory",
                           "conf t", "crypto key generate rsa general-keys label LOST "
                           "modulus 512", "end")
    assert "% Generating 512 bit RSA keys" in out
    saved = shell.router.keystore.get("SAVED").public_der()
    assert "private-config" in [p.name for p in shell.router.storage.nvram.iterdir()]
    await reload_router(shell.router, command_set())
    assert shell.router.keystore.get("SAVED").public_der() == saved
    assert shell.router.keystore.get("LOST") is None


async def test_an_interface_the_startup_config_does_not_hold_boots_shut_down(tmp_path):
    """A 2811's FastEthernet0/0 and 0/1 start `shutdown`; a saved block without it is up."""
    router = Router.open(tmp_path / "lab", addresses=AddressPlan())
    router.storage.write_nvram("startup-config", "hostname R1\ninterface FastEthernet0/1\n"
                               " ip address 10.9.9.1 255.255.255.0\ninterface Vlan10\n"
                               " ip address 1.2.3.4 255.255.255.0\nend\n")
    await reload_router(router, command_set())
    fa0, fa1 = router.interface("FastEthernet0/0"), router.interface("FastEthernet0/1")
    assert fa0 is not None and fa0.shutdown
    assert fa1 is not None and not fa1.shutdown
    assert "interface FastEthernet0/0\n no ip address\n shutdown\n" in router.running_config()


async def test_show_ip_interface_brief_method_says_where_the_address_came_from(tmp_path):
    """NVRAM for every interface the startup-config held at boot, manual once typed, unset
    otherwise (ntc-templates' IOS fixture and a real GNS3 capture)."""
    from conftest import Shell

    router = Router.open(tmp_path / "lab", addresses=AddressPlan())
    router.storage.write_nvram("startup-config", "interface FastEthernet0/1\n shutdown\n"
                               "interface Vlan10\n ip address 1.2.3.4 255.255.255.0\nend\n")
    await reload_router(router, command_set())
    shell = Shell(router)
    await shell.paste_config("interface Vlan20\n ip address 10.2.0.1 255.255.255.0")
    out = await shell.type("show ip interface brief")
    rows = {line.split()[0]: line for line in out.splitlines()[2:-1]}
    assert rows["FastEthernet0/0"] == ("FastEthernet0/0            unassigned      YES unset  "
                                       "administratively down down    ")
    assert rows["FastEthernet0/1"].split()[3] == "NVRAM"
    assert rows["Vlan10"] == ("Vlan10                     1.2.3.4         YES NVRAM  "
                              "up                    up      ")
    assert rows["Vlan20"].split()[1:4] == ["10.2.0.1", "YES", "manual"]


async def test_show_flash_prints_its_own_layout(shell):
    """A real 2811 CME `show flash:`: `-#- --length-- -----date/time------ path`, a blank
    line, then `N bytes available (M bytes used)`; not `dir`'s layout."""
    shell.router.storage.write_flash("ringlist.xml", b"x" * 496)
    out = await shell.type("show flash:")
    lines = out.splitlines()
    assert lines[1] == "-#- --length-- -----date/time------ path"
    assert lines[2].startswith("1     50938004 ") and lines[2].endswith(
        " c2800nm-adventerprisek9-mz.124-24.T8.bin")
    assert lines[3].startswith("2          496 ") and lines[3].endswith(" ringlist.xml")
    assert lines[4] == ""
    available, used = lines[5].split(" bytes available (")
    assert used == f"{50941952 + 4096} bytes used)" and int(available) > 0
    assert "Directory of" not in out
