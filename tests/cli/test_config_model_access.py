"""The access area's typed configuration and the command declarations that write it agree.

Every typed line of the terminal line blocks and of the root's access settings (enable, users,
AAA, access lists, TACACS+, command privileges, login logging) is typed; each attribute then
holds its typed value, running-config prints the lines back exactly, and the `no` forms put the
attributes back to IOS's defaults.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from cucme_lab.router import access as ra
from cucme_lab.router import passwords
from cucme_lab.router.access_config import (
    AclAction,
    ExecTimeout,
    ExtendedEntry,
    LocalUser,
    LoginLog,
    LoginMode,
    Password,
    PortMatch,
    Remark,
    Secret,
    StandardEntry,
    TacacsServer,
    TerminalLine,
    Transport,
    VtyLines,
)
from cucme_lab.router.config.access import AccessSettings
from cucme_lab.router.config.model import field_default, typed_fields

H5 = passwords.type5_hash("level5", "abcd")
H15 = passwords.type5_hash("enable", "efgh")
HADMIN = passwords.type5_hash("adminpw", "ijkl")
ENPW7 = passwords.type7_encode("enpw", 2)
TACKEY7 = passwords.type7_encode("tackey", 5)

# Each group as running-config prints it, in order (other lines stand between the groups).
ROOT_GROUPS = [
    f"enable secret level 5 5 {H5}\n"
    f"enable secret 5 {H15}\n"
    "enable password level 3 lvl3pw\n"
    f"enable password 7 {ENPW7}\n",
    "aaa new-model\n"
    "aaa authentication login default group tacacs+ local\n"
    "aaa authentication login VTY local-case enable\n"
    "aaa authentication enable default group tacacs+ enable\n"
    "aaa session-id common\n",
    f"username admin privilege 15 secret 5 {HADMIN}\n"
    "username bob password bobpw\n",
    "access-list 10 remark vty\n"
    "access-list 10 permit 10.1.1.0 0.0.0.255\n"
    "access-list 10 permit 10.1.1.5\n"
    "access-list 10 deny any log\n"
    "access-list 110 permit tcp 10.0.0.0 0.255.255.255 host 10.1.1.1 eq 22\n"
    "access-list 110 deny tcp any gt 1023 any eq telnet established log\n",
    "tacacs-server host 10.1.1.9 key s3cret\n"
    "tacacs-server host 10.1.1.8\n"
    f"tacacs-server key 7 {TACKEY7}\n",
    "privilege exec level 2 show running-config\n",
    "login on-failure log every 3\n",
    "login on-success log\n",
]
ROOT = "".join(ROOT_GROUPS)

# The vty block's `login` was there from the start (the factory default), so it stands first.
LINES = """\
line con 0
 exec-timeout 0 0
 password conpw
 logging synchronous
 privilege level 15
 login
line aux 0
 transport input none
line vty 0 4
 login local
 session-timeout 30
 exec-timeout 5 30
 timeout login response 20
 privilege level 3
 password 7 {vtypw}
 authorization exec AUTHZ
 accounting exec ACCT
 logging synchronous
 login authentication VTY
 transport input telnet ssh
 access-class 10 in
 access-class 110 out
""".format(vtypw=passwords.type7_encode("vtypw", 9))

NO_ROOT = """\
no enable secret level 5
no enable secret
no enable password level 3
no enable password
no aaa authentication login default
no aaa authentication login VTY
no aaa authentication enable default
no aaa new-model
no username admin
no username bob
no access-list 10
no access-list 110
no tacacs-server host 10.1.1.9
no tacacs-server host 10.1.1.8
no tacacs-server key
no privilege exec level 2 show running-config
no login on-failure
no login on-success
"""

NO_LINE = ["no session-timeout", "no exec-timeout", "no timeout login response",
           "no privilege level", "no password",
           "no logging synchronous", "no login authentication", "no transport input",
           "no access-class 10 in", "no access-class 110 out", "no authorization exec",
           "no accounting exec"]


def block_text(running: str, header: str) -> str:
    lines = running.splitlines()
    start = lines.index(header)
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    return "\n".join(lines[start:end]) + "\n"


def access_lines(running: str) -> str:
    """The root lines of the access area, in running-config order."""
    prefixes = ("enable ", "aaa ", "username ", "access-list ", "tacacs-server ", "privilege ",
                "login ")
    return "".join(line + "\n" for line in running.splitlines() if line.startswith(prefixes))


def unwritten(block: object, names: dict[str, object]) -> list[str]:
    return [name for name in names if getattr(block, name) == field_default(type(block), name)]


async def test_every_root_access_setting_is_typed_and_prints_back(shell, router):
    out = await shell.paste_config(ROOT)
    assert "%" not in out
    running = router.running_config()
    assert access_lines(running) == ROOT
    for group in ROOT_GROUPS:
        assert "!\n" + group + "!\n" in running
    config = router.config
    assert config.enable_secrets == {5: Secret(5, H5), 15: Secret(5, H15)}
    assert config.enable_passwords == {3: Password(0, "lvl3pw"), 15: Password(7, ENPW7)}
    assert config.aaa_new_model is True
    assert config.aaa_login_lists == {"default": ("group tacacs+", "local"),
                                      "VTY": ("local-case", "enable")}
    assert config.aaa_enable_methods == ("group tacacs+", "enable")
    assert config.users == {"admin": LocalUser("admin", 15, Secret(5, HADMIN)),
                            "bob": LocalUser("bob", None, Password(0, "bobpw"))}
    assert config.access_lists == {
        10: [Remark("vty"), StandardEntry(AclAction.PERMIT, IPv4Network("10.1.1.0/24")),
             StandardEntry(AclAction.PERMIT, IPv4Network("10.1.1.5/32")),
             StandardEntry(AclAction.DENY, None, log=True)],
        110: [ExtendedEntry(AclAction.PERMIT, "tcp", IPv4Network("10.0.0.0/8"),
                            IPv4Network("10.1.1.1/32"), destination_port=PortMatch("eq", 22)),
              ExtendedEntry(AclAction.DENY, "tcp", None, None, PortMatch("gt", 1023),
                            PortMatch("eq", 23), established=True, log=True)]}
    host = IPv4Address("10.1.1.9")
    assert config.tacacs_servers == {host: TacacsServer(host, "s3cret"),
                                     IPv4Address("10.1.1.8"): TacacsServer(
                                         IPv4Address("10.1.1.8"))}
    assert config.tacacs_key == Password(7, TACKEY7)
    assert config.command_privileges == {"show running-config": 2}
    assert (config.login_on_failure, config.login_on_success) == (LoginLog(3), LoginLog())
    assert unwritten(config, typed_fields(AccessSettings)) == [], \
        "each typed setting is written by a declaration"
    # What the login path makes of them.
    assert ra.check_enable(config, "enable") and ra.check_enable(config, "level5", 5)
    assert ra.check_enable(config, "lvl3pw", 3) and not ra.check_enable(config, "enpw")
    assert ra.check_local(config, "admin", "adminpw") == 15
    assert ra.check_local(config, "bob", "bobpw") == 1
    assert ra.tacacs_servers(config) == ["10.1.1.9", "10.1.1.8"]

    await shell.paste_config(NO_ROOT)
    assert access_lines(router.running_config()) == "aaa session-id common\n"
    assert "\nno aaa new-model\n" in router.running_config()
    for name in typed_fields(AccessSettings):
        assert getattr(config, name) == field_default(AccessSettings, name), name


async def test_every_line_setting_is_typed_and_prints_back(shell, router):
    out = await shell.paste_config(LINES)
    assert "%" not in out
    running = router.running_config()
    assert running.split("line con 0\n")[1].split("!\n")[0] == LINES.split("line con 0\n")[1]
    con = router.config.find("line con", ("0",))
    aux = router.config.find("line aux", ("0",))
    vty = ra.vty_section(router.config, 0)
    assert isinstance(con, TerminalLine) and isinstance(aux, TerminalLine)
    assert isinstance(vty, VtyLines)
    assert con.exec_timeout == ExecTimeout(0, 0) and ra.exec_timeout(con) is None
    assert con.password == Password(0, "conpw") and ra.check_line(con, "conpw")
    assert (con.privilege, con.login, con.logging_synchronous) == (15, LoginMode.LINE, True)
    assert aux.transport_input == (Transport.NONE,) and ra.transports(aux) == []
    assert vty.password == Password(7, passwords.type7_encode("vtypw", 9))
    assert ra.check_line(vty, "vtypw")
    assert (vty.session_timeout, vty.exec_timeout, vty.privilege) == (30, ExecTimeout(5, 30), 3)
    assert ra.exec_timeout(vty) == 330.0 and ra.line_privilege(vty) == 3
    assert vty.login_response == 20 and ra.login_response_timeout(vty) == 20.0
    assert (vty.login, vty.login_authentication) == (LoginMode.LOCAL, "VTY")
    assert vty.transport_input == (Transport.TELNET, Transport.SSH)
    assert (vty.access_class_in, vty.access_class_out) == (10, 110)
    assert (vty.authorization_exec, vty.accounting_exec) == ("AUTHZ", "ACCT")
    assert ra.access_class(vty) == 10
    assert unwritten(vty, typed_fields(VtyLines)) == [], \
        "each typed setting is written by a declaration"

    await shell.type("conf t", "line vty 0 4", *NO_LINE, "no login")
    assert block_text(router.running_config(), "line vty 0 4") == "line vty 0 4\n"
    for name in typed_fields(VtyLines):
        expected = None if name == "login" else field_default(VtyLines, name)
        assert getattr(vty, name) == expected, name  # `no login`: no password asked
    assert ra.exec_timeout(vty) == 600.0 and ra.line_privilege(vty) == 1
    assert ra.login_response_timeout(vty) == 30.0
    assert ra.transports(vty) == ["ssh", "telnet"] and ra.login_methods(router.config, vty) == []
    await shell.type("conf t", "line vty 0 4", "default login")
    assert vty.login is LoginMode.LINE


async def test_a_line_range_writes_every_block_and_new_vty_blocks_ask_for_login(shell, router):
    await shell.type("conf t", "line vty 0 15", "exec-timeout 1", "no login")
    blocks = ra.vty_sections(router.config)
    assert [(b.first, b.last) for b in blocks] == [(0, 4), (5, 15)]
    assert all(b.exec_timeout == ExecTimeout(1, 0) and b.login is None for b in blocks)
    await shell.type("conf t", "no line vty 5 15", "line vty 5 20")
    assert ra.vty_count(router.config) == 21
    assert ra.vty_section(router.config, 17).login is LoginMode.LINE  # the vty default


async def test_service_password_encryption_hides_every_clear_password(shell, router):
    await shell.paste_config("enable password level 3 lvl3pw\nusername bob password bobpw\n"
                             "tacacs-server key tackey\nline con 0\n password conpw\n"
                             "service password-encryption\n")
    config = router.config
    con = config.find("line con", ("0",))
    hidden = [config.enable_passwords[3], config.users["bob"].credential, config.tacacs_key,
              con.password]
    assert [p.type for p in hidden] == [7, 7, 7, 7]
    assert [p.clear for p in hidden] == ["lvl3pw", "bobpw", "tackey", "conpw"]


async def test_acl_hit_counts_are_runtime_state_not_configuration(shell, router):
    await shell.paste_config("access-list 10 permit 10.1.1.0 0.0.0.255\n")
    before = router.running_config(header=False)
    assert ra.acl_permits(router, 10, ra.Packet("10.1.1.5", "10.1.1.1", 22))
    assert "(1 match)" in ra.show_access_lists(router)
    assert router.running_config(header=False) == before
    await shell.paste_config("no access-list 10\naccess-list 10 permit 10.1.1.0 0.0.0.255\n")
    assert "match" not in ra.show_access_lists(router)  # a list typed anew starts at zero


async def test_typed_lines_stand_among_plain_settings_in_the_order_typed(shell, router):
    """Root lines the order table does not list stand in the order first typed, typed
    attributes (`login on-failure`) and plain settings (`logging HOST`) alike; a line block's
    `logging synchronous` stands where it was typed, not where the block was made."""
    await shell.paste_config("login on-failure log\nlogging 10.9.9.9\nline con 0\n "
                             "exec-timeout 0 0\n logging synchronous\n")
    running = router.running_config()
    assert running.index("login on-failure log") < running.index("logging 10.9.9.9")
    assert "line con 0\n exec-timeout 0 0\n logging synchronous\n" in running
    await shell.paste_config("no login on-failure\nlogging 10.9.9.10\nlogin on-failure log\n")
    running = router.running_config()
    assert running.index("logging 10.9.9.10") < running.index("login on-failure log")
