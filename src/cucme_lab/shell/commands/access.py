"""Numbered access lists, standard (1-99, 1300-1999) and extended (100-199, 2000-2699).

Entries are kept in order with their parsed match terms, so the services that enforce them
(`access-class`, `ip http access-class`, `snmp-server community ... N`) test real addresses.
"""

from __future__ import annotations

import ipaddress
from itertools import count

from cucme_lab.shell.commands.common import CommandDeclarations, canonical
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

_entry_seq = count(1)

PORT_NAMES = {"bgp": 179, "chargen": 19, "cmd": 514, "daytime": 13, "discard": 9, "domain": 53,
              "echo": 7, "exec": 512, "finger": 79, "ftp": 21, "ftp-data": 20, "gopher": 70,
              "hostname": 101, "ident": 113, "irc": 194, "klogin": 543, "kshell": 544,
              "login": 513, "lpd": 515, "nntp": 119, "pop2": 109, "pop3": 110, "smtp": 25,
              "sunrpc": 111, "tacacs": 49, "talk": 517, "telnet": 23, "time": 37, "uucp": 540,
              "whois": 43, "www": 80}
PORT_BY_NUMBER = {v: k for k, v in PORT_NAMES.items()}

ACL_HELP = {"access-list": "Add an access list entry", "permit": "Specify packets to forward",
            "deny": "Specify packets to reject", "remark": "Access list entry comment",
            "any": "Any source host", "host": "A single host address",
            "log": "Log matches against this entry", "eq": "Match only packets on a given port "
            "number", "established": "Match established connections"}

STD = "{<1-99>|<1300-1999>}:n"
EXT = "{<100-199>|<2000-2699>}:n"
ADDR_SRC = "{any:src|host A.B.C.D:shost|A.B.C.D:saddr MASK:swild}"
ADDR_DST = "{any:dst|host A.B.C.D:dhost|A.B.C.D:daddr MASK:dwild}"
PORTS_SRC = "[{eq|neq|lt|gt}:sop WORD:sport]"
PORTS_DST = "[{eq|neq|lt|gt}:dop WORD:dport]"


def _store(c: Ctx, n: int, line: str, entry: dict) -> None:
    seq = next(_entry_seq)
    c.router.config.set(f"access-list {n} #{seq}", line, {"acl": n, **entry}, sort=(n, seq))


@command("config", f"access-list {STD} remark LINE:text", help=ACL_HELP,
         no="access-list {<1-99>|<1300-1999>|<100-199>|<2000-2699>}:n")
def acl_remark_std(c: Ctx) -> None:
    _remark(c)


@command("config", f"access-list {EXT} remark LINE:text", help=ACL_HELP,
         no="access-list {<1-99>|<1300-1999>|<100-199>|<2000-2699>}:n")
def acl_remark_ext(c: Ctx) -> None:
    _remark(c)


def _remark(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.unset_prefix(f"access-list {c.args['n']}")
        return
    _store(c, c.args["n"], f"access-list {c.args['n']} remark {c.args['text'].strip()}",
           {"remark": c.args["text"].strip()})


@command("config", f"access-list {STD} {{permit|deny}}:action "
         "{any:src|host A.B.C.D:shost|A.B.C.D:saddr [MASK:swild]} [log]", help=ACL_HELP,
         no="access-list {<1-99>|<1300-1999>|<100-199>|<2000-2699>}:n")
def acl_standard(c: Ctx) -> None:
    n = c.args["n"]
    if c.no or c.default:
        c.router.config.unset_prefix(f"access-list {n}")
        return
    net = _network(c.args, "s")
    text = "any" if net is None else (str(net.network_address) if net.prefixlen == 32
                                      else f"{net.network_address} {net.hostmask}")
    line = f"access-list {n} {c.args['action']} {text}" + (" log" if c.arg("log") else "")
    _store(c, n, line, {"action": c.args["action"], "src": _net_str(net), "log": c.arg("log")})


@command("config", f"access-list {EXT} {{permit|deny}}:action "
         "{ip|tcp|udp|icmp|<0-255>}:proto " f"{ADDR_SRC} {PORTS_SRC} {ADDR_DST} {PORTS_DST} "
         "[established] [log]", help=ACL_HELP,
         no="access-list {<1-99>|<1300-1999>|<100-199>|<2000-2699>}:n")
def acl_extended(c: Ctx) -> None:
    n = c.args["n"]
    if c.no or c.default:
        c.router.config.unset_prefix(f"access-list {n}")
        return
    proto = str(c.args["proto"])
    ports = {}
    for side in ("s", "d"):
        if f"{side}port" in c.args:
            if proto not in ("tcp", "udp"):
                return _caret_at_word(c, c.args[f"{side}op"])
            port = _port(c.args[f"{side}port"])
            if port is None:
                return _caret_at_word(c, c.args[f"{side}port"])
            ports[side] = (c.args[f"{side}op"], port)
    if c.arg("established") and proto != "tcp":
        return _caret_at_word(c, "established")
    src, dst = _network(c.args, "s"), _network(c.args, "d")
    words = [f"access-list {n}", c.args["action"], proto, _addr_text(src)]
    if "s" in ports:
        words.append(f"{ports['s'][0]} {_port_text(ports['s'][1])}")
    words.append(_addr_text(dst))
    if "d" in ports:
        words.append(f"{ports['d'][0]} {_port_text(ports['d'][1])}")
    if c.arg("established"):
        words.append("established")
    if c.arg("log"):
        words.append("log")
    _store(c, n, " ".join(words), {"action": c.args["action"], "proto": proto,
                                   "src": _net_str(src), "dst": _net_str(dst),
                                   "sport": ports.get("s"), "dport": ports.get("d"),
                                   "established": bool(c.arg("established"))})


def _network(args: dict, side: str) -> ipaddress.IPv4Network | None:
    if args.get(f"{side}host"):
        return ipaddress.IPv4Network(args[f"{side}host"] + "/32")
    if args.get(f"{side}addr"):
        wild = args.get(f"{side}wild") or "0.0.0.0"
        mask = int(ipaddress.IPv4Address(wild)) ^ 0xFFFFFFFF
        base = int(ipaddress.IPv4Address(args[f"{side}addr"])) & mask
        try:
            return ipaddress.IPv4Network((base, str(ipaddress.IPv4Address(mask))))
        except ValueError:
            return ipaddress.IPv4Network((base, 32))
    return None


def _net_str(net: ipaddress.IPv4Network | None) -> str | None:
    return None if net is None else str(net)


def _addr_text(net: ipaddress.IPv4Network | None) -> str:
    if net is None:
        return "any"
    if net.prefixlen == 32:
        return f"host {net.network_address}"
    return f"{net.network_address} {net.hostmask}"


def _port(word: str) -> int | None:
    if word.isdigit():
        value = int(word)
        return value if 0 <= value <= 65535 else None
    hits = [name for name in PORT_NAMES if name.startswith(word.lower())]
    if word.lower() in PORT_NAMES:
        return PORT_NAMES[word.lower()]
    return PORT_NAMES[hits[0]] if len(hits) == 1 else None


def _port_text(port: int) -> str:
    return PORT_BY_NUMBER.get(port, str(port))


def _caret_at_word(c: Ctx, word: str) -> None:
    from cucme_lab.shell.parser import ParseError

    c.session.print_error(c.line, ParseError("invalid", max(0, c.line.find(" " + word) + 1)))


__all__ = ["canonical"]
