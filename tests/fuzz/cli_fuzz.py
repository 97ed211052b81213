"""Lines for the CLI fuzzers: how to reach each mode, and lines made from each mode's grammar.

Shared by tests/fuzz/test_fuzz_cli.py and benchmarks/fuzz_campaign.py. Random bytes mostly
die at the first word; lines walked from a mode's command tree (keywords, abbreviations, the
typed slots filled with edge values, pipes, `?`) reach the handlers.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from hypothesis import strategies as st

from cucme_lab.shell.declarations import CommandSet
from cucme_lab.shell.grammar import Node

# Lines typed at `Router#` that put a session in each mode (and what they need first). The
# modes declared without commands (conf-serv-sip, the named ACL modes) are not reachable.
MODE_ENTRY: dict[str, list[str]] = {
    "exec": [],
    "config": ["configure terminal"],
    "config-if": ["configure terminal", "interface FastEthernet0/0"],
    "config-subif": ["configure terminal", "interface FastEthernet0/0.10"],
    "config-line": ["configure terminal", "line vty 0 4"],
    "config-telephony": ["configure terminal", "telephony-service"],
    "config-ephone": ["configure terminal", "ephone 1"],
    "config-ephone-dn": ["configure terminal", "ephone-dn 1"],
    "config-ephone-template": ["configure terminal", "ephone-template 1"],
    "cs-server": ["configure terminal", "crypto pki server FUZZCA"],
    "ca-trustpoint": ["configure terminal", "crypto pki trustpoint FUZZTP"],
    "config-cert-chain": ["configure terminal", "crypto pki certificate chain FUZZTP"],
    "config-pubkey": ["configure terminal", "crypto pki certificate chain FUZZTP",
                      "certificate 01"],
    "config-ctl-client": ["configure terminal", "ctl-client"],
    "config-capf-server": ["configure terminal", "capf-server"],
    "config-credentials": ["configure terminal", "credentials"],
    "config-dial-peer": ["configure terminal", "dial-peer voice 1 voip"],
    "config-dp-corcustom": ["configure terminal", "dial-peer cor custom"],
    "config-dp-corlist": ["configure terminal", "dial-peer cor list FUZZ"],
    "config-voiceport": ["configure terminal", "voice-port 1/0"],
    "conf-voi-serv": ["configure terminal", "voice service voip"],
    "conf-serv-h323": ["configure terminal", "voice service voip", "h323"],
    "config-cp": ["configure terminal", "control-plane"],
    "config-radius-server": ["configure terminal", "radius server FUZZ"],
    "config-sg-tacacs+": ["configure terminal", "aaa new-model", "aaa group server tacacs+ FZ"],
    "config-sg-radius": ["configure terminal", "aaa new-model", "aaa group server radius FZ"],
}

# Keywords the walker does not step on: they wait on the network (copy tftp:, enrolment),
# restart the router or generate large keys, which costs seconds and finds nothing new.
T = TypeVar("T")
SLOW_KEYWORDS = frozenset({"reload", "copy", "generate", "authenticate", "enroll"})

WORDS = ["x", "FUZZTP", "FUZZCA", "CUCME-TP", "flash:", "flash:f.txt", "nvram:startup-config",
         "tftp://10.1.1.9/f", "http://3.3.3.1:80", "1.2.3.4", "0011.2233.4455", "1234",
         "SEP001122334455", "a" * 300, "\u00e9t\u00e9", "\uff11\uff10", "\u0661\u0662",
         "9" * 4400, "-1", "0", "%", "|", "\\", "..", "flash:../../etc/passwd", "^", "$",
         "(.|.){26}@", "[", "*", "_", ""]
TYPED = {
    "A.B.C.D": ["10.1.1.1", "255.255.255.0", "0.0.0.0", "255.255.255.255", "1.2.3",
                "999.1.1.1", "01.02.03.04", "1.2.3.4.5"],
    "H.H.H": ["0011.2233.4455", "ffff.ffff.ffff", "0000.0000.0000", "0011.2233.445",
              "zzzz.2233.4455"],
    "INTERFACE": ["FastEthernet0/0", "FastEthernet 0/1", "Vlan1", "Vlan 4094", "Vlan4095",
                  "Loopback0", "Loopback2147483647", "Tunnel0", "FastEthernet0/0.10",
                  "FastEthernet9/9", "Serial0/0"],
    "hh:mm": ["00:00", "23:59", "24:00", "1:1", "12:60"],
    "hh:mm:ss": ["00:00:00", "23:59:59", "25:00:00", "12:00"],
    "MONTH": ["Jan", "january", "DEC", "Foo"],
    "PORT": ["2000", "0", "65535", "65536", "www", "telnet"],
}


def _range_values(label: str) -> list[str]:
    match = re.fullmatch(r"<(-?[0-9]+)-(-?[0-9]+)>", label)
    if not match:
        return []
    lo, hi = int(match.group(1)), int(match.group(2))
    return [str(v) for v in (lo, hi, lo + 1, (lo + hi) // 2, hi + 1, lo - 1)] + \
        ["0" * 12 + str(lo), "9" * 4400]


class Picker(Protocol):
    """Where a walk's choices come from: hypothesis's draws (tests), or random.Random
    (benchmarks/fuzz_campaign.py, which types tens of thousands of lines)."""

    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, lo: int, hi: int) -> int: ...

    def text(self, max_size: int) -> str: ...


class DrawPicker:
    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def choice(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def text(self, max_size: int) -> str:
        return self.draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",)),
                                 max_size=max_size))


class RandomPicker:
    # Characters a random token is made of: printable ASCII, controls and some of Unicode.
    ALPHABET = [chr(c) for c in range(32, 127)] + ["\x00", "\x1b", "\x7f", "\u00e9",
                                                   "\uff11", "\u0661", "\ufffd", "\u212a"]

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def text(self, max_size: int) -> str:
        return "".join(self.rng.choices(self.ALPHABET, k=self.rng.randint(0, max_size)))


def _value(node: Node, pick: Picker) -> str:
    element = node.element
    assert element is not None and element.argtype is not None
    if element.argtype.rest_of_line:
        return pick.choice(WORDS) if pick.integer(0, 1) else pick.text(40)
    label = element.argtype.label
    pool = TYPED.get(label, []) + _range_values(label)
    kind = pick.integer(0, 3)
    if kind == 3:
        token = pick.text(12)
        return "".join(ch for ch in token if ch not in " \t\r\n")
    return pick.choice(pool or WORDS) if kind < 2 else pick.choice(WORDS)


def _keyword(word: str, pick: Picker) -> str:
    form = pick.choice(["full", "full", "prefix", "upper"])
    if form == "prefix":
        return word[:pick.integer(1, len(word))]
    return word.upper() if form == "upper" else word


PIPES = [" | include x", " | exclude ^ ", " | begin ephone", " | section ephone",
         " | count", " | include (.|.){26}@", " | include " + "a" * 300, " | include [",
         " | i _", " |", " | redirect flash:x"]


def walk_line(commands: CommandSet, mode: str, pick: Picker) -> str:
    """A line walked through `mode`'s command tree (its `no` form sometimes)."""
    trees = commands.trees(mode)
    negated = mode != "exec" and pick.integer(0, 4) == 0
    node = trees.negative.root if negated else trees.positive.root
    words = ["no"] if negated else []
    for _ in range(16):  # to a node where a command completes, mostly (truncated below)
        children = [c for c in node.children if c.element is not None
                    and c.element.keyword not in SLOW_KEYWORDS]
        if not children:
            break
        child = pick.choice(children)
        element = child.element
        assert element is not None
        if element.keyword == "do" and mode != "exec":  # an EXEC line, walked in its own tree
            words += ["do", walk_line(commands, "exec", pick)]
            break
        if element.keyword is not None:
            words.append(_keyword(element.keyword, pick))
        else:
            words.append(_value(child, pick))
        node = child
        if node.commands and pick.integer(0, 2) == 0:
            break
    line = " ".join(words)
    extra = pick.integer(0, 9)
    if extra == 0:
        line += pick.choice(PIPES)
    elif extra == 1:
        line += pick.choice(["?", " ?", "\t"])
    elif extra == 2 and words:
        line = line[:pick.integer(0, len(line))]
    return line


def random_bytes_line(rng: random.Random, max_size: int = 60) -> str:
    """A line of random bytes as a vty decodes it (undecodable bytes become U+FFFD)."""
    data = rng.randbytes(rng.randint(0, max_size)).replace(b"\r", b" ").replace(b"\n", b" ")
    return data.decode("utf-8", "replace")


@st.composite
def grammar_lines(draw: st.DrawFn, commands: CommandSet, mode: str) -> str:
    return walk_line(commands, mode, DrawPicker(draw))


def random_lines() -> st.SearchStrategy[str]:
    """Lines of random bytes as a vty decodes them (undecodable bytes become U+FFFD)."""
    return st.one_of(
        st.binary(max_size=60).map(lambda b: b.decode("utf-8", "replace")),
        st.text(max_size=60),
    ).map(lambda s: s.replace("\r", " ").replace("\n", " "))


def mode_lines(commands: CommandSet, mode: str) -> st.SearchStrategy[str]:
    """Either kind of line for `mode`, grammar walks twice as often."""
    return st.one_of(grammar_lines(commands, mode), grammar_lines(commands, mode),
                     random_lines())
