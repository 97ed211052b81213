"""The AAA configuration lines: typed, rendered as IOS prints them, read by the decisions."""

from __future__ import annotations

from ipaddress import IPv4Address

from cucme_lab.router import aaa
from cucme_lab.router.config.aaa import AccountingList, RadiusHost

CONFIG = """aaa new-model
aaa authentication login default group radius group tacacs+ local
aaa accounting exec default start-stop group tacacs+
aaa accounting commands 15 default stop-only group tacacs+
ip radius source-interface Loopback0
radius-server host 10.20.0.6 auth-port 1812 acct-port 1813 key k1
radius-server key shared
radius-server timeout 2
radius-server retransmit 1
tacacs-server host 10.17.1.2
tacacs-server timeout 3
tacacs-server key xyz
radius server FR
 address ipv4 10.20.0.5 auth-port 1812 acct-port 1813
 key s3cret
"""


async def test_aaa_lines_are_typed_and_render_back(shell, router):
    out = await shell.paste_config(CONFIG)
    assert "%" not in out, out
    config = router.config
    assert config.accounting_exec == {"default": AccountingList("start-stop",
                                                                ("group tacacs+",))}
    assert config.accounting_commands[(15, "default")].record == "stop-only"
    assert config.radius_hosts[IPv4Address("10.20.0.6")] == RadiusHost(
        IPv4Address("10.20.0.6"), 1812, 1813, "k1")
    radius = aaa.group_servers(config, "radius")
    assert [(s.address, s.key, s.timeout, s.retransmit, s.name) for s in radius] == [
        ("10.20.0.6", "k1", 2, 1, None), ("10.20.0.5", "s3cret", 2, 1, "FR")]
    tacacs = aaa.group_servers(config, "tacacs+")
    assert [(s.address, s.auth_port, s.key, s.timeout) for s in tacacs] == \
        [("10.17.1.2", 49, "xyz", 3)]
    shown = await shell.type("show running-config")
    for text in ("aaa accounting exec default start-stop group tacacs+\n",
                 "aaa accounting commands 15 default stop-only group tacacs+\n",
                 "ip radius source-interface Loopback0\n",
                 "radius-server host 10.20.0.6 auth-port 1812 acct-port 1813 key k1\n",
                 "radius-server key shared\n",
                 "radius server FR\n address ipv4 10.20.0.5 auth-port 1812 acct-port 1813\n"
                 " key s3cret\n"):
        assert text in shown, text


async def test_password_encryption_hides_the_radius_keys(shell, router):
    await shell.paste_config(CONFIG + "service password-encryption\n")
    shown = await shell.type("show running-config")
    assert "radius-server key 7 " in shown and " key 7 " in shown
    assert "s3cret" not in shown and "shared" not in shown
    keys = [s.key for s in aaa.group_servers(router.config, "radius")]
    assert keys == ["k1", "s3cret"]  # the servers still get the clear key


async def test_no_lines_remove_the_servers(shell, router):
    await shell.paste_config(CONFIG + "no radius-server host 10.20.0.6\nno radius server FR\n"
                             "no tacacs-server host 10.17.1.2\n"
                             "no aaa accounting exec default\n")
    assert aaa.all_servers(router.config) == []
    assert router.config.accounting_exec == {}


async def test_show_aaa_servers_and_show_tacacs_with_no_traffic(shell, router):
    await shell.paste_config(CONFIG)
    shown = await shell.type("show aaa servers")
    assert "RADIUS: id 1, priority 1, host 10.20.0.6, auth-port 1812, acct-port 1813\n" \
           "     State: current UP, duration " in shown
    assert "TACACS+: id 3, priority 1, host 10.17.1.2, auth-port 49, acct-port 49\n" in shown
    shown = await shell.type("show tacacs")
    assert "Tacacs+ Server -  public  :\n            Server address: 10.17.1.2\n" \
           "               Server port: 49\n              Socket opens:          0\n" in shown


async def test_server_groups_name_their_servers_in_order(shell, router):
    out = await shell.paste_config(CONFIG + """aaa group server radius RADIUS-FARM
 server name FR
 server 10.20.0.9
 ip radius source-interface Vlan2
aaa group server tacacs+ TAC
 server 10.17.34.10
 server 10.17.1.2
aaa authentication login RADIUS-LOGIN group RADIUS-FARM local
""")
    assert "%" not in out, out
    farm = aaa.group_servers(router.config, "RADIUS-FARM")
    assert [(s.address, s.auth_port, s.key, s.source_interface) for s in farm] == [
        ("10.20.0.5", 1812, "s3cret", "Vlan2"), ("10.20.0.9", 1645, "shared", "Vlan2")]
    tac = aaa.group_servers(router.config, "TAC")
    assert [(s.address, s.key) for s in tac] == [("10.17.34.10", "xyz"), ("10.17.1.2", "xyz")]
    assert "10.20.0.9" in [s.address for s in aaa.all_servers(router.config)]
    shown = await shell.type("show running-config")
    assert "aaa group server radius RADIUS-FARM\n server name FR\n server 10.20.0.9\n" \
           " ip radius source-interface Vlan2\n" in shown
    assert shown.index("aaa new-model") < shown.index("aaa group server") < \
        shown.index("aaa authentication login")


async def test_exec_authorization_list_renders_and_needs_new_model(shell, router):
    out = await shell.paste_config("aaa authorization exec default group tacacs+ local\n")
    assert "% Invalid input detected" in out  # without aaa new-model
    await shell.paste_config("aaa new-model\n"
                             "aaa authorization exec default group tacacs+ local\n")
    assert router.config.authorization_exec == {"default": ("group tacacs+", "local")}
    assert "aaa authorization exec default group tacacs+ local\n" in \
        await shell.type("show running-config")


async def test_ntc_templates_parses_show_tacacs(shell, router):
    from ntc_templates.parse import parse_output

    await shell.paste_config(CONFIG)
    from cucme_lab.shell.commands.aaa import show_tacacs_text

    parsed = parse_output(platform="cisco_ios", command="show tacacs",
                          data=show_tacacs_text(router))
    assert len(parsed) == 1
    assert parsed[0]["tacacs_server"] == "10.17.1.2" and parsed[0]["server_port"] == "49"
    assert parsed[0]["socket_opens"] == "0" and parsed[0]["packets_sent"] == "0"
