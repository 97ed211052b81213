"""Interfaces: which exist comes from the chassis; the lines the router acts on are typed.

`ip address`, `shutdown`, `duplex` and `speed` write the `Interface` block's attributes
(`cucme_lab.router.config.interfaces`); the others are plain settings nothing reads yet.
Error texts marked [U] are unconfirmed guesses: no capture of them was found.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

from cucme_lab.router.chassis import split_interface
from cucme_lab.router.config.interfaces import Duplex, Interface, IpAddressing, IpMethod, Speed
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting, typed_setting = DECLARED.command, DECLARED.setting, DECLARED.typed_setting

IF = "config-if"
SUBIF = "config-subif"


@command("config", "interface INTERFACE:name",
         help={"interface": "Select an interface to configure"}, no="interface INTERFACE:name")
def interface(c: Ctx) -> None:
    name = c.args["name"]
    if not c.router.chassis.has(name):
        _no_such_interface(c)
        return
    kind, number = split_interface(name)
    virtual = kind in ("Vlan", "Loopback", "Tunnel", "Virtual-Template")
    if c.default:
        c.router.config.remove("interface", (name,))
        c.router.interface(name, create=True)
        c.out(f"Interface {name} set to default configuration")
        return
    if c.no:
        if not virtual:
            c.out("% Removal of physical interfaces is not permitted")  # [M]
            return
        c.router.config.remove("interface", (name,))
        return
    sec = c.router.interface(name, create=True)
    if kind == "Loopback" and sec.ip is None:
        sec.ip = IpAddressing()  # a new loopback shows `no ip address`
    if c.session.booting and sec.ip_method is not IpMethod.NVRAM:
        # A saved configuration says `shutdown` where an interface was down: one it holds
        # without that line is up, whatever the chassis's default for an unconfigured one.
        sec.shutdown = False
        sec.ip_method = IpMethod.NVRAM
    c.enter(SUBIF if "." in number else IF, sec)


def _no_such_interface(c: Ctx) -> None:
    from cucme_lab.shell.parser import ParseError, tokenize

    tokens = tokenize(c.line)
    c.session.print_error(c.line, ParseError("invalid", tokens[1].start if len(tokens) > 1
                                             else len(c.line)))


# `no ip address` alone, or with the whole address and mask: an address without its mask is
# incomplete (it reached the handler and raised KeyError('mask')).
@command([IF, SUBIF], "ip address A.B.C.D:addr MASK:mask [secondary]",
         no="ip address [A.B.C.D:addr MASK:mask [secondary]]",
         help={"address": "Set the IP address of an interface", "addr": "IP address",
               "mask": "IP subnet mask", "secondary": "Make this IP address a secondary address"})
def ip_address(c: Ctx) -> None:
    """A primary replaces the primary; a secondary is added beside it.

    `no ip address` removes every address; `no ip address A M [secondary]` that one address.
    """
    sec: Interface = c.target
    current = sec.ip or IpAddressing()
    given = _given_address(c)
    if not c.session.booting:
        sec.ip_method = IpMethod.MANUAL
    secondary = "secondary" in c.args
    if c.no or c.default:
        if given is None:
            sec.ip = IpAddressing()
        elif secondary:
            sec.ip = IpAddressing(current.primary,
                                  tuple(a for a in current.secondaries if a != given))
        elif current.secondaries:
            c.out("% Must delete secondary before deleting primary")  # [M]
        elif current.primary == given:
            sec.ip = IpAddressing()
        return
    if given is None:
        return
    if not secondary:
        sec.ip = IpAddressing(given, current.secondaries)
    elif current.primary is None:
        c.out("% Secondary address not allowed without a primary address")  # [U]
    elif given.ip != current.primary.ip:
        others = tuple(a for a in current.secondaries if a.ip != given.ip)
        sec.ip = IpAddressing(current.primary, (*others, given))


def _given_address(c: Ctx) -> IPv4Interface | None:
    """The typed address with its mask; None when absent, or refused for a wildcard mask."""
    if "addr" not in c.args:
        return None
    given = IPv4Interface(f"{c.args['addr']}/{c.args['mask']}")
    if str(given.netmask) != c.args["mask"]:  # 0.0.0.255 parses as a host mask
        c.out(f"% Bad mask 0x{int(IPv4Address(c.args['mask'])):X} for address {given.ip}")  # [U]
        return None
    return given


@command([IF, SUBIF], "shutdown", help={"shutdown": "Shutdown the selected interface"})
def shutdown(c: Ctx) -> None:
    c.target.shutdown = not (c.no or c.default)


setting(IF, "description LINE:text", help={"description": "Interface specific description"})
setting(IF, "switchport voice vlan <1-4094>:vlan",
        help={"switchport": "Set switching mode characteristics",
              "voice": "Voice appliance attributes", "vlan": "Vlan for voice traffic"})
setting(IF, "switchport access vlan <1-4094>:vlan")
setting(IF, "switchport mode {access|trunk}:mode")
setting(IF, "ip inspect WORD:name {in|out}:dir", key="ip inspect {name} {dir}",
        help={"inspect": "Apply inspect name"})
setting(IF, "encapsulation {frame-relay|ppp|hdlc}:encap",
        help={"encapsulation": "Set encapsulation type for an interface"})
setting(IF, "frame-relay map ip A.B.C.D:addr <16-1007>:dlci [broadcast]",
        key="frame-relay map ip {addr}", help={"frame-relay": "Set frame relay parameters"})
setting(IF, "frame-relay intf-type {dce|dte|nni}:kind")


@command(IF, "frame-relay inverse-arp", help={"inverse-arp": "Enable/disable inverse ARP"})
def frame_relay_inverse_arp(c: Ctx) -> None:
    if c.no:
        c.target.set("frame-relay inverse-arp", "no frame-relay inverse-arp", {"enabled": False})
    else:
        c.target.unset("frame-relay inverse-arp")


typed_setting(IF, Interface, "duplex {auto|full|half}:mode", "duplex",
              lambda a: Duplex(a["mode"]))
typed_setting(IF, Interface, "speed {10|100|auto}:speed", "speed", lambda a: Speed(a["speed"]))
