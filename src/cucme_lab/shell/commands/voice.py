"""Command declarations: `voice service voip` (with `h323`), dial-peer COR and voice dial-peers.

Blocks are child `Section`s of `router.config`; `h323` is a child of `voice service voip`, so it
renders one space deeper. COR lists and dial-peers keep the order they were created in, as IOS
lists them [M]; COR list members print in the order their names were defined under
`dial-peer cor custom`, since IOS stores a list as a set of those names.

Error texts marked [U] are unconfirmed guesses: no capture of them was found.
"""

from __future__ import annotations

from collections.abc import Callable

from cucme_lab.router.config.section import Section
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.commands.telephony import caret
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting = DECLARED.command, DECLARED.setting

VOIP = "voice service voip"
COR_CUSTOM = "dial-peer cor custom"
COR_LIST = "dial-peer cor list"
DIAL_PEER = "dial-peer voice"


class CreationOrdered(Section):
    """A block IOS lists in the order it was created, not by its name or tag."""

    def sort_key(self) -> tuple:
        return ()


VOIP_HELP = {
    "service": "Voice service configuration",
    "voip": "Voice over IP (VoIP)",
    "fallback": "Allow fallback to non-secure calls",
    "pass-thru": "Pass through SRTP",
    "allow-connections": "Allow connections from one type of endpoint to another",
    "src": "From this endpoint type", "dst": "To this endpoint type",
    "to": "to",
    "media-renegotiate": "Enable media renegotiation (for SRTP fallback)",
    "h323": "Enable H.323 and enter H.323 configuration mode",
    "session": "Session parameters",
    "transport": "Transport protocol for H.323 calls",
    "tcp": "TCP", "udp": "UDP",
    "calls-per-connection": "Number of calls per TCP connection",
    "cpc": "Calls per connection",
    "h245": "H.245 parameters",
    "tunnel": "H.245 tunneling",
    "disable": "Disable H.245 tunneling",
    "caps": "H.245 capabilities",
    "mode": "Capability mode",
    "restricted": "Restrict to H.323 version 2 capabilities",
    "all": "All capabilities",
    "h225": "H.225 parameters",
    "timeout": "Timeout parameters",
    "call-idle": "Idle time before a TCP connection with no calls is closed",
    "establish": "TCP connection establishment timeout",
    "value": "Timeout value in minutes",
    "never": "Never close idle connections",
    "seconds": "Timeout in seconds",
}
DP_HELP = {
    "cor": "Class of Restriction",
    "custom": "Define COR names",
    "list": "Define a COR list",
    "listname": "COR list name",
    "name": "COR name",
    "member": "Add a member to the class of restriction list",
    "corname": "COR name",
    "tag": "Voice dial-peer tag",
    "pots": "POTS peer",
    "voip": "VoIP peer",
    "incoming": "Incoming COR list",
    "outgoing": "Outgoing COR list",
    "pattern": "Destination pattern",
    "port": "Voice port",
    "slot": "Voice port (slot/port)",
    "prefix": "Prefix to be added to the dial string",
    "digits": "Prefix digits",
    "forward-digits": "Number of digits to forward",
    "count": "Number of right-justified digits to forward",
    "extra": "Forward the extra digits beyond the destination pattern",
    "target": "Session target",
    "session": "Session parameters",
    "text": "Description text",
    "n": "Maximum connections",
    "fallback": "Allow fallback to non-secure calls",
    "pass-thru": "Pass through SRTP",
}


# --- voice service voip ----------------------------------------------------------------------


@command("config", "voice service voip", help=VOIP_HELP)
def voice_service_voip(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.remove(VOIP, ())
        return
    c.enter("conf-voi-serv", c.router.config.section(VOIP, (), "voice service voip"))


setting("conf-voi-serv", "srtp [{fallback|pass-thru}:how]", key="srtp", help=VOIP_HELP)
setting("conf-voi-serv", "allow-connections {h323|sip}:src to {h323|sip}:dst",
        key="allow-connections {src} to {dst}", help=VOIP_HELP)
setting("conf-voi-serv", "supplementary-service media-renegotiate",
        key="supplementary-service media-renegotiate", help=VOIP_HELP)


@command("conf-voi-serv", "h323", help=VOIP_HELP)
def h323(c: Ctx) -> None:
    sec: Section = c.target
    if c.no or c.default:
        sec.remove("h323", ())
        return
    c.enter("conf-serv-h323", sec.section("h323", (), "h323"))


setting("conf-serv-h323", "session transport {tcp|udp}:transport "
        "[calls-per-connection <1-10>:cpc]", key="session transport", help=VOIP_HELP)
setting("conf-serv-h323", "h245 tunnel disable", key="h245 tunnel", help=VOIP_HELP)
setting("conf-serv-h323", "h245 caps mode {restricted|all}:mode", key="h245 caps",
        help=VOIP_HELP)
setting("conf-serv-h323", "h225 timeout tcp call-idle value <0-1440>:value",
        key="h225 timeout tcp call-idle", help=VOIP_HELP)
setting("conf-serv-h323", "h225 timeout tcp call-idle never",
        key="h225 timeout tcp call-idle", help=VOIP_HELP)
setting("conf-serv-h323", "h225 timeout tcp establish <0-30>:seconds",
        key="h225 timeout tcp establish", help=VOIP_HELP)
setting("conf-serv-h323", "emptycapability", key="emptycapability", help=VOIP_HELP)


# --- dial-peer cor ---------------------------------------------------------------------------


@command("config", "dial-peer cor custom", help=DP_HELP)
def cor_custom(c: Ctx) -> None:
    if c.no or c.default:
        c.router.config.remove(COR_CUSTOM, ())
        return
    c.enter("config-dp-corcustom", c.router.config.section(COR_CUSTOM, (), "dial-peer cor custom"))


setting("config-dp-corcustom", "name WORD:name", key="name {name}", help=DP_HELP)


def cor_names(c: Ctx) -> list[str]:
    """COR names in the order they were defined under `dial-peer cor custom`."""
    sec = c.router.config.find(COR_CUSTOM, ())
    return [] if sec is None else [s.values["name"] for s in sec.with_prefix("name")]


@command("config", "dial-peer cor list WORD:listname", no="dial-peer cor list WORD:listname",
         help=DP_HELP)
def cor_list(c: Ctx) -> None:
    name = c.args["listname"]
    if c.no or c.default:
        c.router.config.remove(COR_LIST, (name,))
        return
    sec = c.router.config.section(COR_LIST, (name,), f"dial-peer cor list {name}",
                                  CreationOrdered)
    c.enter("config-dp-corlist", sec)


def _member_check(c: Ctx) -> bool:
    if c.args["corname"] not in cor_names(c):
        c.out(f"% COR name {c.args['corname']} is not defined under dial-peer cor custom.")  # [U]
        return False
    return True


@command("config-dp-corlist", "member WORD:corname", no="member WORD:corname", help=DP_HELP)
def cor_member(c: Ctx) -> None:
    sec: Section = c.target
    member = c.args["corname"]
    if c.no or c.default:
        sec.unset(f"member {member}")
        return
    if not _member_check(c):
        return
    order = cor_names(c).index(member)
    sec.set(f"member {member}", f"member {member}", {"member": member}, (order,))


# --- dial-peer voice -------------------------------------------------------------------------


@command("config", "dial-peer voice <1-2147483647>:tag {pots|voip}:kind",
         no="dial-peer voice <1-2147483647>:tag [{pots|voip}:kind]", help=DP_HELP)
def dial_peer_voice(c: Ctx) -> None:
    tag, kind = c.args["tag"], c.args.get("kind")
    existing = c.router.config.find(DIAL_PEER, (tag,))
    if c.no or c.default:
        c.router.config.remove(DIAL_PEER, (tag,))
        return
    if existing is not None and peer_kind(existing) != kind:
        # [U] text chosen for this lab.
        c.out(f"% Dial-peer {tag} already exists with a different type")
        return
    sec = c.router.config.section(DIAL_PEER, (tag,), f"dial-peer voice {tag} {kind}",
                                  CreationOrdered)
    c.enter("config-dial-peer", sec)


def peer_kind(sec: Section) -> str:
    """`pots` or `voip`, read from the block header `dial-peer voice 9 pots`."""
    return sec.header.rsplit(" ", 1)[-1]


def _only(kind: str) -> Callable[[Ctx], bool]:
    """A check refusing a command the other peer type has no parse node for (caret, as IOS)."""

    def check(c: Ctx) -> bool:
        if peer_kind(c.target) != kind:
            caret(c, 0)
            return False
        return True

    return check


setting("config-dial-peer", "corlist {incoming|outgoing}:dir WORD:listname", key="corlist {dir}",
        help=DP_HELP)
setting("config-dial-peer", "destination-pattern PATTERN:pattern", key="destination-pattern",
        help=DP_HELP)
setting("config-dial-peer", "port PORT:slot", key="port", check=_only("pots"), help=DP_HELP)
setting("config-dial-peer", "prefix PATTERN:digits", key="prefix", check=_only("pots"),
        help=DP_HELP)
setting("config-dial-peer", "forward-digits <0-32>:count", key="forward-digits",
        check=_only("pots"), help=DP_HELP)
setting("config-dial-peer", "forward-digits {all|extra}:count", key="forward-digits",
        check=_only("pots"), help=DP_HELP)
setting("config-dial-peer", "session target WORD:target", key="session target",
        check=_only("voip"), help=DP_HELP)
setting("config-dial-peer", "max-conn <1-2147483647>:n", key="max-conn", help=DP_HELP)
setting("config-dial-peer", "description LINE:text", key="description", help=DP_HELP)
setting("config-dial-peer", "srtp [{fallback|pass-thru}:how]", key="srtp", check=_only("voip"),
        help=DP_HELP)
