"""Interfaces: which exist comes from the chassis; their lines are plain settings."""

from __future__ import annotations

from cucme_lab.router.chassis import split_interface
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting = DECLARED.command, DECLARED.setting

IF = "config-if"


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
            c.out("% Removal of physical interfaces is not permitted")
            return
        c.router.config.remove("interface", (name,))
        return
    sec = c.router.interface(name, create=True)
    if virtual and not sec.settings and kind == "Loopback":
        sec.set("ip address", "no ip address", {"address": None})
    c.enter("config-subif" if "." in number else IF, sec)


def _no_such_interface(c: Ctx) -> None:
    from cucme_lab.shell.parser import ParseError, tokenize

    tokens = tokenize(c.line)
    c.session.print_error(c.line, ParseError("invalid", tokens[1].start if len(tokens) > 1
                                             else len(c.line)))


@command([IF, "config-subif"], "ip address A.B.C.D:address MASK:mask [secondary]",
         help={"address": "Set the IP address of an interface"}, no="ip address")
def ip_address(c: Ctx) -> None:
    if c.no or c.default:
        c.target.set("ip address", "no ip address", {"address": None})
        return
    c.target.set("ip address", f"ip address {c.args['address']} {c.args['mask']}",
                 {"address": c.args["address"], "mask": c.args["mask"]})


@command([IF, "config-subif"], "shutdown", help={"shutdown": "Shutdown the selected interface"})
def shutdown(c: Ctx) -> None:
    if c.no or c.default:
        c.target.unset("shutdown")
    else:
        c.target.set("shutdown", "shutdown", {"shutdown": True})


setting(IF, "description LINE:text", help={"description": "Interface specific description"})
setting(IF, "switchport voice vlan <1-4094>:vlan",
        help={"switchport": "Set switching mode characteristics",
              "voice": "Voice appliance attributes", "vlan": "Vlan for voice traffic"})
setting(IF, "switchport access vlan <1-4094>:vlan")
setting(IF, "switchport mode {access|trunk}:mode")
setting([IF, "config-subif"], "ip access-group {<1-199>|<1300-2699>|WORD}:acl {in|out}:dir",
        key="ip access-group {dir}", help={"access-group": "Specify access control for "
                                           "packets"},
        no="ip access-group {<1-199>|<1300-2699>|WORD}:acl {in|out}:dir")
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


@command(IF, "cdp enable", help={"cdp": "CDP interface subcommands",
                                 "enable": "Enable CDP on interface"})
def cdp_enable(c: Ctx) -> None:
    if c.no:
        c.target.set("no cdp enable", "no cdp enable", {"enabled": False})
    else:
        c.target.unset("no cdp enable")


setting(IF, "duplex {auto|full|half}:mode")
setting(IF, "speed {10|100|auto}:speed")
