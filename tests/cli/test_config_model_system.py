"""The system lines and the interfaces in the typed configuration model.

Each typed root setting (`SystemSettings`) and each typed `interface` setting is set by typing its
line; the attributes then hold typed values, the readers (the HTTP and SSH services, the
listeners' addresses) see them, and running-config prints the lines back exactly. The `no` forms
put each attribute back to IOS's default.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

from cucme_lab.router import access as ra
from cucme_lab.router.config.interfaces import Duplex, Interface, IpAddressing, Speed, interface
from cucme_lab.router.config.model import field_default, typed_fields
from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.config.system import (
    HttpAuthentication,
    HttpTimeoutPolicy,
    NtpServer,
    SystemSettings,
    Timezone,
)
from cucme_lab.router.pki.ca import interface_addresses
from cucme_lab.services.vty_listener import router_addresses

SYSTEM = """\
service password-encryption
hostname CME1
clock timezone PST -8 30
ip domain name lab.local
ip ssh time-out 60
ip ssh authentication-retries 2
ip ssh version 2
ip ssh rsa keypair-name SSHKEY
ip http server
ip http port 8080
ip http access-class 10
ip http authentication local
ip http secure-server
ip http secure-port 8443
ip http timeout-policy idle 60 life 86400 requests 10000
ip http max-connections 10
ntp server 10.0.0.9 prefer
ntp server 10.0.0.8
"""

# Where IOS prints them: its own order, `!` between groups, whatever order they were typed in.
SYSTEM_HEAD = """\
service timestamps log datetime msec
service password-encryption
!
hostname CME1
!
"""
SYSTEM_MIDDLE = """\
!
clock timezone PST -8 30
!
ip cef
ip domain name lab.local
!
ip ssh time-out 60
ip ssh authentication-retries 2
ip ssh version 2
ip ssh rsa keypair-name SSHKEY
!
"""
SYSTEM_HTTP = """\
ip forward-protocol nd
ip http server
ip http port 8080
ip http access-class 10
ip http authentication local
ip http secure-server
ip http secure-port 8443
ip http max-connections 10
ip http timeout-policy idle 60 life 86400 requests 10000
!
"""
SYSTEM_TAIL = """\
line vty 0 4
 login
!
ntp server 10.0.0.9 prefer
ntp server 10.0.0.8
!
end
"""

NO_SYSTEM = """\
no service password-encryption
no hostname
no clock timezone
no ip domain name
no ip ssh time-out
no ip ssh authentication-retries
no ip ssh version
no ip ssh rsa keypair-name
no ip http server
no ip http port
no ip http access-class
no ip http authentication
no ip http secure-server
no ip http secure-port
no ip http timeout-policy
no ip http max-connections
no ntp server 10.0.0.9
no ntp server 10.0.0.8
"""

INTERFACES = """\
interface FastEthernet0/0
 ip address 10.1.1.2 255.255.255.0 secondary
 ip address 10.2.2.2 255.255.255.0 secondary
 ip address 10.0.0.1 255.255.255.0
 ip access-group 101 in
 ip access-group 102 out
 duplex full
 speed 100
!
interface FastEthernet0/1
 ip address 10.9.9.1 255.255.255.0
 ip access-group 1 in
 ip access-group 2 out
 shutdown
 duplex half
 speed 10
"""


def block_text(running: str, header: str) -> str:
    lines = running.splitlines()
    start = lines.index(header)
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    return "\n".join(lines[start:end]) + "\n"


async def test_every_system_setting_is_typed_and_prints_back(shell, router):
    # Typed in another order than IOS prints them, to show the model places them (the `ip ssh`
    # lines share one place, so among themselves they keep the order they were typed in).
    lines = SYSTEM.splitlines()
    await shell.paste_config("\n".join(lines[8:] + lines[:8]))
    running = router.running_config()
    for chunk in (SYSTEM_HEAD, SYSTEM_MIDDLE, SYSTEM_HTTP, SYSTEM_TAIL):
        assert chunk in running
    root = router.config
    assert (root.hostname, router.hostname, root.password_encryption) == ("CME1", "CME1", True)
    assert root.clock_timezone == Timezone("PST", -8, 30)
    assert (router.clock.tz_name, router.clock.tz_offset_minutes) == ("PST", -510)
    assert root.domain_name == "lab.local"
    assert (root.ssh_version, root.ssh_timeout, root.ssh_retries) == (2, 60, 2)
    assert root.ssh_keypair == "SSHKEY" and ra.ssh_key_label(router) == "SSHKEY"
    assert (ra.ssh_version(root), ra.ssh_timeout(root), ra.ssh_retries(root)) == ("2.0", 60, 2)
    assert (root.http_server, root.http_secure_server) == (True, True)
    assert (root.http_port, root.http_secure_port, root.http_access_class) == (8080, 8443, 10)
    assert (root.http_listen_port, root.https_listen_port) == (8080, 8443)
    assert root.http_authentication is HttpAuthentication.LOCAL
    assert root.http_connection_limit == 10
    assert root.http_policy == HttpTimeoutPolicy(idle=60, life=86400, requests=10000)
    assert root.ntp_servers == (NtpServer(IPv4Address("10.0.0.9"), True),
                                NtpServer(IPv4Address("10.0.0.8")))
    unset = [name for name in typed_fields(SystemSettings)
             if getattr(root, name) == field_default(RootConfig, name)]
    assert unset == [], "each typed system setting is written by a declaration"


async def test_the_older_ip_domain_name_form_sets_the_same_attribute(shell, router):
    await shell.paste_config("hostname CME1\nip domain-name lab.local")
    assert router.config.domain_name == "lab.local"
    assert "\nip domain name lab.local\n" in router.running_config()
    assert ra.ssh_key_label(router) == "CME1.lab.local"  # no keypair-name: hostname.domain


async def test_no_forms_put_the_system_settings_back_to_ios_defaults(shell, router):
    before = router.running_config(header=False)
    await shell.paste_config(SYSTEM)
    out = await shell.paste_config(NO_SYSTEM)
    assert "%" not in out
    root = router.config
    for name in typed_fields(SystemSettings):
        assert getattr(root, name) == field_default(RootConfig, name), name
    assert (root.hostname, root.password_encryption, root.http_server) == ("Router", False,
                                                                           False)
    assert (root.ssh_login_timeout, root.ssh_login_retries, ra.ssh_version(root)) == \
        (120, 3, "1.99")
    assert (root.http_listen_port, root.https_listen_port) == (80, 443)
    assert root.http_auth_method is HttpAuthentication.ENABLE
    assert (root.http_connection_limit, root.http_policy) == (5, HttpTimeoutPolicy(180, 180, 1))
    assert (router.clock.tz_name, router.clock.tz_offset_minutes) == ("UTC", 0)
    # `no service password-encryption` prints, as the factory configuration does.
    assert router.running_config(header=False) == before


async def test_every_interface_setting_is_typed_and_prints_back(shell, router):
    # The primary typed first, then the secondaries; IOS prints the secondaries first.
    await shell.paste_config("""\
interface FastEthernet0/0
 ip address 10.0.0.1 255.255.255.0
 ip address 10.1.1.2 255.255.255.0 secondary
 ip address 10.2.2.2 255.255.255.0 secondary
 ip access-group 102 out
 ip access-group 101 in
 no shutdown
 duplex full
 speed 100
interface FastEthernet0/1
 ip address 10.9.9.1 255.255.255.0
 ip access-group 2 out
 ip access-group 1 in
 no shutdown
 shutdown
 duplex half
 speed 10
""")
    running = router.running_config()
    for header in ("interface FastEthernet0/0", "interface FastEthernet0/1"):
        expected = INTERFACES.split(header + "\n")[1].split("!")[0]
        assert block_text(running, header) == header + "\n" + expected
    fa0, fa1 = interface(router.config, "FastEthernet0/0"), interface(router.config,
                                                                     "FastEthernet0/1")
    assert isinstance(fa0, Interface) and isinstance(fa1, Interface)
    assert fa0.ip == IpAddressing(IPv4Interface("10.0.0.1/24"),
                                  (IPv4Interface("10.1.1.2/24"), IPv4Interface("10.2.2.2/24")))
    assert (fa0.shutdown, fa0.duplex, fa0.speed) == (False, Duplex.FULL, Speed.HUNDRED)
    assert (fa1.shutdown, fa1.duplex, fa1.speed) == (True, Duplex.HALF, Speed.TEN)
    assert (fa0.up_address, fa1.up_address) == (IPv4Address("10.0.0.1"), None)
    for block in (fa0, fa1):
        unset = [name for name in typed_fields(Interface) if getattr(block, name) is None]
        assert unset == [], "each typed interface setting is written by a declaration"
    # The services answer on the up interfaces' primary addresses only.
    assert router_addresses(router) == interface_addresses(router) == ["10.0.0.1"]


async def test_no_forms_put_an_interface_back_to_its_defaults(shell, router):
    await shell.paste_config("interface FastEthernet0/0\n ip address 10.0.0.1 255.255.255.0\n"
                             " ip address 10.1.1.2 255.255.255.0 secondary\n no shutdown\n"
                             " duplex full\n speed 100")
    fa0 = interface(router.config, "FastEthernet0/0")
    assert fa0 is not None
    out = await shell.paste_config("interface FastEthernet0/0\n no ip address 10.0.0.1 "
                                   "255.255.255.0")
    assert "% Must delete secondary before deleting primary" in out
    await shell.paste_config("interface FastEthernet0/0\n no ip address 10.1.1.2 "
                             "255.255.255.0 secondary")
    assert fa0.ip == IpAddressing(IPv4Interface("10.0.0.1/24"))
    await shell.paste_config("interface FastEthernet0/0\n ip address 10.1.1.2 255.255.255.0 "
                             "secondary\n no ip address\n shutdown\n no duplex\n no speed")
    assert (fa0.ip, fa0.address, fa0.shutdown) == (IpAddressing(), None, True)
    assert (fa0.duplex, fa0.speed) == (None, None)
    assert block_text(router.running_config(), "interface FastEthernet0/0") == \
        "interface FastEthernet0/0\n no ip address\n shutdown\n"


async def test_a_secondary_needs_a_primary_and_a_mask_must_be_a_netmask(shell, router):
    out = await shell.paste_config("interface Loopback0\n"
                                   " ip address 1.2.3.4 255.255.255.255 secondary\n"
                                   " ip address 1.2.3.4 0.0.0.255")
    assert "% Secondary address not allowed without a primary address" in out
    assert "% Bad mask 0xFF for address 1.2.3.4" in out
    lo = interface(router.config, "Loopback0")
    assert lo is not None and lo.ip == IpAddressing()  # a new loopback: `no ip address`
    assert block_text(router.running_config(), "interface Loopback0") == \
        "interface Loopback0\n no ip address\n"


async def test_http_limits_at_ios_defaults_print_nothing(shell, router):
    """IOS prints `ip http max-connections` and `ip http timeout-policy` only when changed."""
    before = router.running_config(header=False)
    out = await shell.paste_config("ip http max-connections 5\n"
                                   "ip http timeout-policy idle 180 life 180 requests 1")
    assert "%" not in out
    assert router.running_config(header=False) == before
    out = await shell.paste_config("ip http max-connections 17\n"
                                   "ip http timeout-policy idle 601 life 1 requests 1")
    assert out.count("% Invalid input detected at '^' marker.") == 2
