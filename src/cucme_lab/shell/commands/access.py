"""Numbered access lists, standard (1-99, 1300-1999) and extended (100-199, 2000-2699).

Each line becomes a typed entry (`StandardEntry`, `ExtendedEntry`, `Remark` of
`cucme_lab.router.access_config`) appended to its list in `config.access_lists`, so the services
that enforce them (`access-class`, `ip http access-class`) test real addresses, and the entry
prints its own canonical line. `no access-list N` removes the whole list, as on IOS.
"""

from __future__ import annotations

import ipaddress

from cucme_lab.router.access_config import (
    AclAction,
    AclLine,
    ExtendedEntry,
    PortMatch,
    Remark,
    StandardEntry,
    port_names,
)
from cucme_lab.shell.argtypes import ascii_number
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

ACL_HELP = {"access-list": "Add an access list entry", "permit": "Specify packets to forward",
            "deny": "Specify packets to reject", "remark": "Access list entry comment",
            "any": "Any source host", "host": "A single host address",
            "log": "Log matches against this entry", "eq": "Match only packets on a given port "
            "number", "established": "Match established connections"}

STD = "{<1-99>|<1300-1999>}:n"
EXT = "{<100-199>|<2000-2699>}:n"
ANY_ACL = "access-list {<1-99>|<1300-1999>|<100-199>|<2000-2699>}:n"
ADDR_SRC = "{any:src|host A.B.C.D:shost|A.B.C.D:saddr MASK:swild}"
ADDR_DST = "{any:dst|host A.B.C.D:dhost|A.B.C.D:daddr MASK:dwild}"
PORTS_SRC = "[{eq|neq|lt|gt}:sop WORD:sport]"
PORTS_DST = "[{eq|neq|lt|gt}:dop WORD:dport]"


def _append(c: Ctx, entry: AclLine) -> None:
    c.router.config.access_lists.setdefault(c.args["n"], []).append(entry)


def _remove_list(c: Ctx) -> None:
    c.router.config.access_lists.pop(c.args["n"], None)


@command("config", f"access-list {STD} remark LINE:text", help=ACL_HELP, no=ANY_ACL)
def acl_remark_std(c: Ctx) -> None:
    _remark(c)


@command("config", f"access-list {EXT} remark LINE:text", help=ACL_HELP, no=ANY_ACL)
def acl_remark_ext(c: Ctx) -> None:
    _remark(c)


def _remark(c: Ctx) -> None:
    if c.no or c.default:
        _remove_list(c)
        return
    _append(c, Remark(c.args["text"].strip()))


@command("config", f"access-list {STD} {{permit|deny}}:action "
         "{any:src|host A.B.C.D:shost|A.B.C.D:saddr [MASK:swild]} [log]", help=ACL_HELP,
         no=ANY_ACL)
def acl_standard(c: Ctx) -> None:
    if c.no or c.default:
        _remove_list(c)
        return
    _append(c, StandardEntry(AclAction(c.args["action"]), _network(c, "s"),
                             bool(c.arg("log"))))


@command("config", f"access-list {EXT} {{permit|deny}}:action "
         "{ip|tcp|udp|icmp|<0-255>}:proto " f"{ADDR_SRC} {PORTS_SRC} {ADDR_DST} {PORTS_DST} "
         "[established] [log]", help=ACL_HELP, no=ANY_ACL)
def acl_extended(c: Ctx) -> None:
    if c.no or c.default:
        _remove_list(c)
        return
    proto = str(c.args["proto"])
    ports: dict[str, PortMatch] = {}
    for side in ("s", "d"):
        if f"{side}port" in c.args:
            if proto not in ("tcp", "udp"):
                return _caret_at_word(c, c.args[f"{side}op"])
            port = _port(c.args[f"{side}port"], proto)
            if port is None:
                return _caret_at_word(c, c.args[f"{side}port"])
            ports[side] = PortMatch(c.args[f"{side}op"], port)
    if c.arg("established") and proto != "tcp":
        return _caret_at_word(c, "established")
    _append(c, ExtendedEntry(AclAction(c.args["action"]), proto, _network(c, "s"),
                             _network(c, "d"), ports.get("s"), ports.get("d"),
                             bool(c.arg("established")), bool(c.arg("log"))))


def _network(c: Ctx, side: str) -> ipaddress.IPv4Network | None:
    """The address an entry matches: None for `any`; a wildcard's base is masked, as IOS does."""
    args = c.args
    if f"{side}host" in args:
        return ipaddress.IPv4Network(args[f"{side}host"] + "/32")
    if f"{side}addr" in args:
        wild = args.get(f"{side}wild") or "0.0.0.0"
        mask = int(ipaddress.IPv4Address(wild)) ^ 0xFFFFFFFF
        base = int(ipaddress.IPv4Address(args[f"{side}addr"])) & mask
        try:
            return ipaddress.IPv4Network((base, str(ipaddress.IPv4Address(mask))))
        except ValueError:
            return ipaddress.IPv4Network((base, 32))
    return None


def _port(word: str, protocol: str) -> int | None:
    """A port typed as a number or as IOS's name for it in `protocol` (a unique prefix too)."""
    if word[:1].isdigit():  # a number (ASCII digits only, bounded before conversion) or nothing
        return ascii_number(word, 0, 65535)
    names = port_names(protocol)
    low = word.lower()
    if low in names:
        return names[low]
    hits = [name for name in names if name.startswith(low)]
    return names[hits[0]] if len(hits) == 1 else None


def _caret_at_word(c: Ctx, word: str) -> None:
    from cucme_lab.shell.parser import ParseError

    c.session.print_error(c.line, ParseError("invalid", max(0, c.line.find(" " + word) + 1)))
