"""The voice blocks the router acts on, typed: `dial-peer cor custom`, `dial-peer cor list`,
`dial-peer voice` and `voice-port` (the root's `dial-control-mib` and `gw-accounting` lines
are in router/config/voice.py).

The command handlers (shell/commands/voice.py) assign these attributes; the dial-peer table
(`dialpeers.py`), COR (`cor.py`), the voice ports and call history read them. COR lists and
dial-peers keep the order they were created in, as IOS lists them; a COR list's members are
kept in the order their names were defined under `dial-peer cor custom`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cucme_lab.router.config.model import ConfigBlock, line
from cucme_lab.router.config.section import Section

COR_CUSTOM = "dial-peer cor custom"
COR_LIST = "dial-peer cor list"
DIAL_PEER = "dial-peer voice"
VOICE_PORT = "voice-port"

# The analog voice ports of this lab's 2800 (two VIC2-2FXO cards, as the chapter's pots
# dial-peers name `port 1/0` and `port 2/0`) [U: the card set is this lab's choice].
VOICE_PORTS = ("1/0", "1/1", "2/0", "2/1")


class CreationOrdered(Section):
    """A block IOS lists in the order it was created, not by its name or tag."""

    def sort_key(self) -> tuple:
        return ()


@dataclass(eq=False)
class CorCustom(ConfigBlock, CreationOrdered):
    """`dial-peer cor custom`: the COR names, in the order they were defined."""

    names: list[str] = line("name", lambda names: [f"name {n}" for n in names],
                            default_factory=list)


@dataclass(eq=False)
class CorList(ConfigBlock, CreationOrdered):
    """`dial-peer cor list NAME`: a set of COR names."""

    members: list[str] = line("member", lambda ms: [f"member {m}" for m in ms],
                              default_factory=list)

    @property
    def name(self) -> str:
        return self.ident[0]


def _digit_strip(on: bool) -> str | None:
    return None if on else "no digit-strip"


@dataclass(eq=False)
class DialPeer(ConfigBlock, CreationOrdered):
    """`dial-peer voice TAG pots|voip`."""

    corlist_incoming: str | None = line("corlist incoming")
    corlist_outgoing: str | None = line("corlist outgoing")
    preference: int | None = line("preference")
    destination_pattern: str | None = line("destination-pattern")
    port: str | None = line("port")
    digit_strip: bool = line("digit-strip", _digit_strip, default=True)
    forward_digits: int | str | None = line("forward-digits")  # a count, "all" or "extra"
    prefix: str | None = line("prefix")
    max_conn: int | None = line("max-conn")

    @property
    def tag(self) -> int:
        return self.ident[0]

    @property
    def peer_type(self) -> str:
        """`pots` or `voip`, from the header `dial-peer voice 9 pots`."""
        return self.header.rsplit(" ", 1)[-1]


@dataclass(eq=False)
class VoicePort(ConfigBlock):
    """`voice-port SLOT/PORT`."""

    description: str | None = line("description")
    shutdown: bool = line("shutdown", lambda on: "shutdown" if on else None, default=False)

    @property
    def name(self) -> str:
        return self.ident[0]

    def sort_key(self) -> tuple:
        return tuple(int(x) for x in self.name.split("/"))


# --- lookups ------------------------------------------------------------------------------------

def cor_custom(config: Section) -> CorCustom | None:
    sec = config.find(COR_CUSTOM, ())
    return sec if isinstance(sec, CorCustom) else None


def cor_lists(config: Section) -> dict[str, CorList]:
    return {sec.name: sec for sec in config.sections(COR_LIST) if isinstance(sec, CorList)}


def dial_peers(config: Section) -> list[DialPeer]:
    """Every dial-peer, in the order they were created."""
    return [sec for sec in config.sections(DIAL_PEER) if isinstance(sec, DialPeer)]


def voice_ports(config: Section) -> dict[str, VoicePort | None]:
    """Each of the chassis' voice ports and its block (None: not configured)."""
    blocks = {sec.name: sec for sec in config.sections(VOICE_PORT) if isinstance(sec, VoicePort)}
    return {name: blocks.get(name) for name in VOICE_PORTS}
