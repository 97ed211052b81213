"""Command declarations: `voice service voip` (with `h323`), dial-peer COR and voice dial-peers.

Blocks are child `Section`s of `router.config`; `h323` is a child of `voice service voip`, so it
renders one space deeper. COR lists and dial-peers keep the order they were created in, as IOS
lists them [M]; COR list members print in the order their names were defined under
`dial-peer cor custom`, since IOS stores a list as a set of those names.

Error texts marked [U] are unconfirmed guesses: no capture of them was found.
"""

from __future__ import annotations

from collections.abc import Callable

from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.config.section import Section
from cucme_lab.router.telephony.dialpeers import valid_destination_pattern
from cucme_lab.router.telephony.voice_config import (
    COR_CUSTOM,
    COR_LIST,
    DIAL_PEER,
    VOICE_PORT,
    VOICE_PORTS,
    CorCustom,
    CorList,
    DialPeer,
    VoicePort,
)
from cucme_lab.router.telephony.voice_config import cor_custom as cor_custom_block
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.commands.telephony import caret
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, setting, typed_setting = DECLARED.command, DECLARED.setting, DECLARED.typed_setting

VOIP = "voice service voip"


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
    "preference": "Preference order among dial-peers of equal match",
    "value": "Preference (0 highest)",
    "digit-strip": "Strip the explicitly matched digits",
    "voice-port": "Voice port configuration",
    "shutdown": "Take the voice port out of service",
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
    c.enter("config-dp-corcustom", c.router.config.section(COR_CUSTOM, (), "dial-peer cor custom",
                                                           CorCustom))


@command("config-dp-corcustom", "name WORD:name", no="name WORD:name", help=DP_HELP)
def cor_custom_name(c: Ctx) -> None:
    block: CorCustom = c.target
    name = c.args["name"]
    if c.no or c.default:
        block.names = [n for n in block.names if n != name]
    elif name not in block.names:
        block.names = [*block.names, name]


def cor_names(c: Ctx) -> list[str]:
    """COR names in the order they were defined under `dial-peer cor custom`."""
    block = cor_custom_block(c.router.config)
    return [] if block is None else list(block.names)


@command("config", "dial-peer cor list WORD:listname", no="dial-peer cor list WORD:listname",
         help=DP_HELP)
def cor_list(c: Ctx) -> None:
    name = c.args["listname"]
    if c.no or c.default:
        c.router.config.remove(COR_LIST, (name,))
        return
    sec = c.router.config.section(COR_LIST, (name,), f"dial-peer cor list {name}", CorList)
    c.enter("config-dp-corlist", sec)


def _member_check(c: Ctx) -> bool:
    if c.args["corname"] not in cor_names(c):
        c.out(f"% COR name {c.args['corname']} is not defined under dial-peer cor custom.")  # [U]
        return False
    return True


@command("config-dp-corlist", "member WORD:corname", no="member WORD:corname", help=DP_HELP)
def cor_member(c: Ctx) -> None:
    block: CorList = c.target
    member = c.args["corname"]
    if c.no or c.default:
        block.members = [m for m in block.members if m != member]
        return
    if not _member_check(c):
        return
    order = cor_names(c)
    members = set(block.members) | {member}
    block.members = sorted(members, key=lambda m: order.index(m) if m in order else len(order))


# --- dial-peer voice -------------------------------------------------------------------------


@command("config", "dial-peer voice <1-2147483647>:tag {pots|voip}:kind",
         no="dial-peer voice <1-2147483647>:tag [{pots|voip}:kind]", help=DP_HELP)
def dial_peer_voice(c: Ctx) -> None:
    tag, kind = c.args["tag"], c.args.get("kind")
    existing = c.router.config.find(DIAL_PEER, (tag,))
    if c.no or c.default:
        c.router.config.remove(DIAL_PEER, (tag,))
        return
    if isinstance(existing, DialPeer) and existing.peer_type != kind:
        # [U] text chosen for this lab.
        c.out(f"% Dial-peer {tag} already exists with a different type")
        return
    sec = c.router.config.section(DIAL_PEER, (tag,), f"dial-peer voice {tag} {kind}", DialPeer)
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


def _pots_port(c: Ctx) -> bool:
    """`port` on a pots peer names one of the chassis' voice ports (caret under it, as IOS
    answers a port it has no parse node for)."""
    if not _only("pots")(c):
        return False
    if c.args["slot"] not in VOICE_PORTS:
        caret(c, 1)
        return False
    return True


def _valid_pattern(c: Ctx) -> bool:
    if not valid_destination_pattern(c.args["pattern"]):
        caret(c, 1)
        return False
    return True


DP = "config-dial-peer"
typed_setting(DP, DialPeer, "corlist incoming WORD:listname", "corlist_incoming", help=DP_HELP)
typed_setting(DP, DialPeer, "corlist outgoing WORD:listname", "corlist_outgoing", help=DP_HELP)
typed_setting(DP, DialPeer, "destination-pattern PATTERN:pattern", "destination_pattern",
              check=_valid_pattern, help=DP_HELP)
typed_setting(DP, DialPeer, "preference <0-10>:value", "preference", help=DP_HELP)
typed_setting(DP, DialPeer, "port PORT:slot", "port", check=_pots_port, help=DP_HELP)
typed_setting(DP, DialPeer, "prefix PATTERN:digits", "prefix", check=_only("pots"),
              help=DP_HELP)
typed_setting(DP, DialPeer, "forward-digits <0-32>:count", "forward_digits",
              check=_only("pots"), help=DP_HELP)
typed_setting(DP, DialPeer, "forward-digits {all|extra}:count", "forward_digits",
              check=_only("pots"), help=DP_HELP)


@command(DP, "digit-strip", help=DP_HELP)
def digit_strip(c: Ctx) -> None:
    """On by default for pots peers; IOS prints `no digit-strip` when it is turned off."""
    if not _only("pots")(c):
        return
    peer: DialPeer = c.target
    peer.digit_strip = not c.no or c.default


typed_setting(DP, DialPeer, "max-conn <1-2147483647>:n", "max_conn", help=DP_HELP)
setting(DP, "session target WORD:target", key="session target",
        check=_only("voip"), help=DP_HELP)
setting(DP, "description LINE:text", key="description", help=DP_HELP)
setting(DP, "srtp [{fallback|pass-thru}:how]", key="srtp", check=_only("voip"),
        help=DP_HELP)


# --- voice-port ------------------------------------------------------------------------------


@command("config", "voice-port PORT:slot", no="voice-port PORT:slot", help=DP_HELP)
def voice_port(c: Ctx) -> None:
    name = c.args["slot"]
    if name not in VOICE_PORTS:
        caret(c, 1)
        return
    if c.no or c.default:
        c.router.config.remove(VOICE_PORT, (name,))
        return
    c.enter("config-voiceport", c.router.config.section(VOICE_PORT, (name,),
                                                        f"voice-port {name}", VoicePort))


typed_setting("config-voiceport", VoicePort, "description LINE:text", "description",
              help=DP_HELP)
typed_setting("config-voiceport", VoicePort, "shutdown", "shutdown", lambda a: True,
              help=DP_HELP)


# --- call history and accounting (root lines) -------------------------------------------------

typed_setting("config", RootConfig, "dial-control-mib retain-timer <0-35791>:t",
              "dial_control_retain",
              help={"dial-control-mib": "Configure Dial Control Mib",
                    "retain-timer": "Set timer for entries in call history table"})
typed_setting("config", RootConfig, "dial-control-mib max-size <0-1200>:n",
              "dial_control_max_size",
              help={"max-size": "Specify the maximum size of the dial control history table"})


@command("config", "gw-accounting {syslog|aaa|file}:how", help={
    "gw-accounting": "Enable voip gateway accounting.", "syslog": "Enable syslog accounting"})
def gw_accounting(c: Ctx) -> None:
    root: RootConfig = c.router.config
    how = c.args.get("how")
    kept = tuple(h for h in root.gw_accounting if h != how)
    root.gw_accounting = kept if c.no or c.default else (*kept, how)
