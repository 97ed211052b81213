"""`show dial-peer voice [N] [summary]`, `show voice port summary`, `show call active voice
[brief]` and `show call history voice [brief]`.

Layouts: `show dial-peer voice summary` follows Cisco's command reference and CME captures
(`dial-peer hunt 0`, the two header lines, columns TAG 7, TYPE 6, MIN 5, OPER 5, PREFIX 10,
DEST-PATTERN 18, FER 2, THRU 4, SESS-TARGET 15, STAT 5, PORT 8). The call tables follow the
field legend of the command reference (`<ID>: <CallID> <start>ms.<index> +<connect> +<disc>
pid:<peer_id> <direction> <addr>`, `dur hh:mm:ss tx:<packets>/<bytes> rx:...`, `Telephony
<int> ...`); `show voice port summary` and the per-peer detail are this lab's rendering of the
fields IOS shows, trimmed to those the lab models [U].
"""

from __future__ import annotations

from datetime import datetime

from cucme_lab.router.router import Router
from cucme_lab.router.telephony.history import CAUSE_TEXT, Cause, LegRecord
from cucme_lab.router.telephony.settings import ephone_dns
from cucme_lab.router.telephony.tollplan import EPHONE_DN_PEER_BASE
from cucme_lab.router.telephony.voice_config import DialPeer, dial_peers, voice_ports
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

HELP = {
    "dial-peer": "Dial Plan Mapping Table for, e.g. VoIP Peers",
    "voice": "Show Voice Dial Peers",
    "tag": "Voice dial-peer tag",
    "summary": "Dial Peer summary Information",
    "call": "Show call",
    "active": "Active call table",
    "history": "Call history table",
    "brief": "Brief report of the calls",
    "port": "Voice port configuration & stats",
}

SUMMARY_HEAD = (
    "dial-peer hunt 0",
    "             AD                                    PRE PASS                OUT",
    "TAG    TYPE  MIN  OPER PREFIX    DEST-PATTERN      FER THRU SESS-TARGET    STAT PORT"
    "    KEEPALIVE",
)


def _port_up(router: Router, peer: DialPeer) -> bool:
    ports = voice_ports(router.config)
    if peer.port not in ports:
        return False
    block = ports[peer.port]
    return block is None or not block.shutdown


def summary_row(router: Router, peer: DialPeer) -> str:
    pots = peer.peer_type == "pots"
    oper = "up" if peer.destination_pattern else "down"
    stat = ("up" if _port_up(router, peer) else "down") if pots and peer.port else ""
    target = "" if pots else str(peer.value("session target", "target", ""))
    row = (f"{peer.tag:<7}{peer.peer_type:<6}{'up':<5}{oper:<5}{peer.prefix or '':<10}"
           f"{peer.destination_pattern or '':<18}{peer.preference or 0:>2}  "
           f"{'' if pots else 'syst':<4} {target:<15}{stat:<5}{peer.port or ''}")
    return row.rstrip()


def ephone_dn_rows(router: Router) -> list[str]:
    """CME's own pots peers, one per ephone-dn number: tag 20000 + dn, `NUMBER$`, port
    50/0/DN (as CME captures list them, after the configured peers)."""
    rows = []
    for dn in ephone_dns(router.config):
        if dn.number:
            row = (f"{EPHONE_DN_PEER_BASE + dn.tag:<7}{'pots':<6}{'up':<5}{'up':<5}{'':<10}"
                   f"{dn.number + '$':<18}{0:>2}  {'':<4} {'':<15}{'':<5}50/0/{dn.tag}")
            rows.append(row)
    return rows


@command("exec", "show dial-peer voice summary", help=HELP)
def show_dial_peer_summary(c: Ctx) -> None:
    lines = [*SUMMARY_HEAD, *(summary_row(c.router, p) for p in dial_peers(c.router.config)),
             *ephone_dn_rows(c.router)]
    c.out("\n".join(lines))


def peer_detail(router: Router, peer: DialPeer) -> list[str]:
    pots = peer.peer_type == "pots"
    name = "VoiceEncapPeer" if pots else "VoiceOverIpPeer"
    forward = "default" if peer.forward_digits is None else str(peer.forward_digits)
    return [
        f"{name}{peer.tag}",
        "        peer type = voice, system default peer = FALSE, information type = voice,",
        f"        description = `{peer.value('description', 'text', '')}',",
        f"        tag = {peer.tag}, destination-pattern = `{peer.destination_pattern or ''}',",
        "        Admin state is up, Operation state is "
        f"{'up' if peer.destination_pattern else 'down'},",
        f"        incoming COR list:{peer.corlist_incoming or 'maximum'}",
        f"        outgoing COR list:{peer.corlist_outgoing or 'minimum'}",
        f"        connections/maximum = 0/{peer.max_conn or 'unlimited'},",
        f"        type = {peer.peer_type}, prefix = `{peer.prefix or ''}',",
        f"        forward-digits {forward}",
        f"        session-target = `', voice-port = `{peer.port or ''}',",
        f"        digit_strip = {'enabled' if peer.digit_strip else 'disabled'},",
        f"        preference = {peer.preference or 0},",
    ]


@command("exec", "show dial-peer voice [<1-2147483647>:tag]", help=HELP)
def show_dial_peer(c: Ctx) -> None:
    tag = c.args.get("tag")
    peers = [p for p in dial_peers(c.router.config) if tag is None or p.tag == tag]
    c.out("\n".join(line for p in peers for line in [*peer_detail(c.router, p), ""]))


@command("exec", "show voice port summary", help=HELP)
def show_voice_port_summary(c: Ctx) -> None:
    busy = {name for name, ep in c.router.phones.voice_ports.endpoints.items() if ep.legs}
    lines = ["                                           IN       OUT",
             "PORT            CH   SIG-TYPE   ADMIN OPER STATUS   STATUS   EC",
             "=============== == ============ ===== ==== ======== ======== =="]
    for name, block in voice_ports(c.router.config).items():
        shut = block is not None and block.shutdown
        oper = "down" if shut else ("up" if name in busy else "dorm")
        out_status = "off-hook" if name in busy else "on-hook"
        lines.append(f"{name:<15} {'--':<2}  {'fxo-ls':<11} {'down' if shut else 'up':<5} "
                     f"{oper:<4} {'idle':<8} {out_status:<8} y")
    c.out("\n".join(lines))


LEGEND_ACTIVE = (
    "<ID>: <CallID> <start>ms.<index> (<start>) +<connect> pid:<peer_id> <dir> <addr> <state>",
    "  dur hh:mm:ss tx:<packets>/<bytes> rx:<packets>/<bytes>",
    " Tele <int> (callID) [channel_id] tx:<tot>/<v>/<fax>ms <codec> noise:<l> acom:<l>",
)
LEGEND_HISTORY = (
    "<ID>: <CallID> <start>ms.<index> +<connect> +<disc> pid:<peer_id> <direction> <addr>",
    " dur hh:mm:ss tx:<packets>/<bytes> rx:<packets>/<bytes> <disc-cause>(<text>)",
    " Telephony <int> (callID) [channel_id] tx:<tot>/<voice>/<fax>ms <codec> noise:<lvl>dBm"
    " acom:<lvl>dBm",
)


def _counts(n: int) -> list[str]:
    return [f"Telephony call-legs: {n}", "SIP call-legs: 0", "H323 call-legs: 0",
            "Call agent controlled call-legs: 0", "SCCP call-legs: 0",
            "Multicast call-legs: 0", f"Total call-legs: {n}"]


def _ms(a: datetime, b: datetime | None) -> int:
    return 0 if b is None else int((b - a).total_seconds() * 1000)


def _dur(r: LegRecord, now: datetime) -> str:
    start = r.connect or r.setup
    end = r.disconnect or now
    seconds = max(0, int((end - start).total_seconds())) if r.connect else 0
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def brief_record(r: LegRecord, now: datetime, active: bool, stamp=str) -> list[str]:
    direction = "Originate" if r.originate else "Answer"
    head = f"{r.connection_id[0] & 0xFFFF:<4X} : {r.ident} {r.setup_uptime_ms}ms.1 "
    connect = f"+{_ms(r.setup, r.connect)}"
    tx = f"tx:{r.tx_packets}/{r.tx_packets * 160} rx:{r.rx_packets}/{r.rx_packets * 160}"
    tele = f" Telephony {r.port} ({r.ident}) [{r.port}] tx:0/0/0ms g711ulaw noise:0dBm acom:0dBm"
    if active:
        state = "active" if r.connect else "alerting"
        return [head + f"({stamp(r.setup)}) {connect} pid:{r.peer_id} {direction} "
                f"{r.peer_address} {state}",
                f" dur {_dur(r, now)} {tx}", tele]
    cause = r.cause if r.cause is not None else Cause.NORMAL
    return [head + f"{connect} +{_ms(r.setup, r.disconnect)} pid:{r.peer_id} {direction} "
            f"{r.peer_address}",
            f" dur {_dur(r, now)} {tx} {cause:X} ({CAUSE_TEXT[cause]})", tele]


def detail_record(r: LegRecord, now: datetime, active: bool) -> list[str]:
    """One leg as `show call active/history voice` prints it (GENERIC and TELE fields in the
    command reference's order, those the lab models)."""
    words = " ".join(f"0x{w:08X}" for w in r.connection_id)
    connect = r.setup_uptime_ms + _ms(r.setup, r.connect) if r.connect else 0
    lines = ["GENERIC:", f"SetupTime={r.setup_uptime_ms} ms", f"Index={r.ident}",
             f"PeerAddress={r.peer_address}", "PeerSubAddress=", f"PeerId={r.peer_id}"]
    if not active:
        cause = r.cause if r.cause is not None else Cause.NORMAL
        lines += [f"DisconnectCause={cause:<4X}", f"DisconnectText={CAUSE_TEXT[cause]}"]
    lines += [f"ConnectTime={connect // 10}"]
    if not active:
        disconnect = r.setup_uptime_ms + _ms(r.setup, r.disconnect)
        lines += [f"DisconnectTime={disconnect // 10}"]
    lines += [f"CallDuration={_dur(r, now)}"]
    lines += [f"CallState={4 if r.connect else 2}"] if active else []
    lines += [f"CallOrigin={2 if r.originate else 1}"]
    lines += [] if active else ["ReleaseSource=1"]
    lines += ["ChargedUnits=0", "InfoType=2" if active else "InfoType=speech",
              f"TransmitPackets={r.tx_packets}", f"TransmitBytes={r.tx_packets * 160}",
              f"ReceivePackets={r.rx_packets}", f"ReceiveBytes={r.rx_packets * 160}",
              "TELE:", f"ConnectionId=[{words}]", f"IncomingConnectionId=[{words}]",
              f"CallID={r.ident}", f"Port={r.port} ({r.ident})"]
    return lines


def _history(c: Ctx):
    history = c.router.phones.calls.history
    assert history is not None
    return history


def _table(c: Ctx, active: bool) -> str:
    history = _history(c)
    records = list(history.active.values()) if active else history.recent()
    now = history.now()
    if c.args.get("brief"):
        lines = [*(LEGEND_ACTIVE if active else LEGEND_HISTORY), *_counts(len(records))]
        for r in records:
            lines += brief_record(r, now, active, history.stamp)
        return "\n".join(lines)
    lines = _counts(len(records))
    for r in records:
        lines += detail_record(r, now, active)
    return "\n".join(lines)


@command("exec", "show call active voice [brief]", help=HELP)
def show_call_active(c: Ctx) -> None:
    c.out(_table(c, active=True))


@command("exec", "show call history voice [brief]", help=HELP)
def show_call_history(c: Ctx) -> None:
    c.out(_table(c, active=False))
