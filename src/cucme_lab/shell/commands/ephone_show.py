"""Status of SCCP phones: `show ephone ...`, `show telephony-service security-info`,
`debug ephone register|keepalive|detail`.

Layouts follow specs/ios-cli.md 6.6, 6.9 and 6.10 (the IOS 15 form of `show ephone`) and the
CME command reference's `show ephone` and `show ephone summary` examples [D]. Counters this lab
does not model (media, whisper, paging) print as 0. The TLS suite a phone uses shows as the
header's `+ Authentication` / `+ Authentication + Encryption` suffix, as on CME.
"""

from __future__ import annotations

import base64

from cucme_lab.router.router import Router
from cucme_lab.router.telephony.calls import Leg
from cucme_lab.router.telephony.registrations import Registration
from cucme_lab.router.telephony.settings import (
    MAX_EPHONES,
    Ephone,
    ephone_dn,
    ephones,
    telephony_service,
)
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

SHOW_HELP = {
    "ephone": "IP phone status",
    "registered": "Registered ephones",
    "unregistered": "Unregistered ephones",
    "summary": "Summary of all ephones",
    "tag": "ephone tag",
    "telephony-service": "Telephony service information",
    "security-info": "Security information",
}
DEBUG_HELP = {
    "debug": "Debugging functions (see also 'undebug')",
    "undebug": "Disable debugging functions (see also 'debug')",
    "no": "Negate a command or set its defaults",
    "ephone": "ethernet phone debugging",
    "register": "ephone registration debugging",
    "keepalive": "ephone keepalive debugging",
    "detail": "ephone detail debugging",
    "mac-address": "Enable debug for one ephone",
    "mac": "MAC address",
}
DEBUG_NAMES = {"register": "registration", "keepalive": "keepalive", "detail": "detail"}


def _suffix(reg: Registration) -> str:
    """`+ Authentication` / `+ Authentication + Encryption with TLS connection` (6.9)."""
    if reg.transport != "TLS":
        return ""
    if reg.cipher_encrypts:
        return " + Authentication + Encryption with TLS connection"
    return " + Authentication"


# A leg's state as the dn's channel shows it [U]: the names IOS prints for a dn's channel,
# matched to the lab's leg states without a capture of each.
CHANNEL_STATES = {"offhook": "SEIZE", "dialing": "SEIZE", "ringout": "ALERTING",
                  "ringin": "RINGING", "connected": "CONNECTED", "hold": "HOLD", "busy": "SEIZE",
                  "reorder": "SEIZE"}


def _legs(reg: Registration | None) -> dict[int, Leg]:
    return reg.station.legs if reg is not None and reg.station is not None else {}


def _button_lines(router: Router, ep: Ephone | None, reg: Registration | None) -> list[str]:
    lines: list[str] = []
    legs = _legs(reg)
    for b in sorted(ep.buttons if ep else [], key=lambda b: b.index):
        lines.append(f"button {b.index}: cw:1 ccw:(0 0)")
        leg = legs.get(b.index)
        for i, tag in enumerate(b.dns):
            dn = ephone_dn(router.config, tag)
            number = dn.number if dn and dn.number else ""
            ch1 = CHANNEL_STATES.get(leg.state, "IDLE") if leg is not None and i == 0 else "IDLE"
            state = f"CH1   {ch1}" + ("         CH2   IDLE" if dn and dn.dual_line else "")
            lines.append(f"  dn {tag}  number {number} {state}")
    return lines


def active_calls(ep: Ephone | None, reg: Registration | None) -> list[str]:
    """The "Active Call" lines of each connected line, after `Lpcor Type:`."""
    legs = _legs(reg)
    lines: list[str] = []
    for b in sorted(ep.buttons if ep else [], key=lambda b: b.index):
        leg = legs.get(b.index)
        if leg is not None and b.dns:
            lines += active_call_lines(b.dns[0], leg)
    return lines


def _srtp_key(leg: Leg) -> str:
    """The master key and salt `leg`'s phone decrypts with, as CME prints them (base64)."""
    return base64.b64encode(leg.rx_key.key + leg.rx_key.salt).decode()


def active_call_lines(dn: int, leg: Leg) -> list[str]:
    """A connected leg's call as CME 12.6 prints it in `show ephone` (the Cisco Unified CME
    command reference, `show ephone offhook`, secure and non-secure samples): its media
    addresses, codec, SRTP cipher and both keys when the media is encrypted, and counters the
    router does not see (the phones report none during a call, so 0 as in the samples).
    That `local key` is the one this phone decrypts with (its OpenReceiveChannel's) and
    `remote key` the other phone's is this lab's reading of the sample [U]."""
    call = leg.call
    if call is None or leg.state != "connected":
        return []
    other = call.other(leg)
    here = f"{leg.rx_address[0]} {leg.rx_address[1]}" if leg.rx_address else "0.0.0.0 0"
    there = f"{other.rx_address[0]} {other.rx_address[1]}" if other.rx_address else "0.0.0.0 0"
    via = str(other.rx_address[0]) if other.rx_address else "0.0.0.0"
    secure = call.keys and leg.rx_key.algorithm_id != 0
    lines = [f"Active {'Secure ' if secure else ''}Call on DN {dn} chan 1 :{leg.number} "
             f"{here} to {there} via {via}",
             "G711Ulaw64k 160 bytes no vad"]
    if secure:
        lines += ["SRTP cipher: AES_CM_128_HMAC_SHA1_32",
                  f"  local key: {_srtp_key(leg)}",
                  f"  remote key: {_srtp_key(other)}"]
    return lines + ["Tx Pkts 0 bytes 0 Rx Pkts 0 bytes 0 Lost 0",
                    "Jitter 0 Latency 0 callingDn -1 calledDn -1"]


def ephone_block(router: Router, ep: Ephone | None, reg: Registration | None) -> list[str]:
    tag = reg.tag if reg else ep.tag  # type: ignore[union-attr]
    mac = reg.mac if reg else (ep.mac if ep and ep.mac else "0000.0000.0000")
    codec = ep.codec if ep and ep.codec else "g711ulaw"
    if reg is not None:
        active = next((leg.line for leg in _legs(reg).values() if leg.state != "ringin"), 0)
        head = (f"ephone-{tag}[{tag - 1}] Mac:{mac} TCP socket:[{reg.socket}] "
                f"activeLine:{active} "
                f"whisperLine:0 REGISTERED in SCCP ver {reg.protocol_ver}/{reg.version} "
                f"max_streams={reg.max_streams}{_suffix(reg)}")
        model = ep.type if ep and ep.type else reg.model
        ip = (f"IP:{reg.ip} * {reg.port} {model}  keepalive {reg.keepalives} max_line "
              f"{reg.max_lines} available_line {reg.available_lines}")
        caps, resets = reg.caps, reg.reset_sent
    else:
        head = (f"ephone-{tag}[{tag - 1}] Mac:{mac} TCP socket:[-1] activeLine:0 "
                "whisperLine:0 UNREGISTERED")
        ip = "IP:0.0.0.0 0 Unknown 0  keepalive 0 max_line 0 available_line 0"
        caps, resets = 0, 0
    legs = list(_legs(reg).values())
    media = int(any(leg.transmitting for leg in legs))
    offhook = int(any(leg.state != "ringin" for leg in legs))
    ringing = int(any(leg.state == "ringin" for leg in legs))
    lines = [head,
             f"mediaActive:{media} whisper_mediaActive:0 startMedia:{media} offhook:{offhook} "
             f"ringing:{ringing} reset:0 reset_sent:{resets} paging 0 debug:0 caps:{caps}",
             ip]
    lines += _button_lines(router, ep, reg)
    lines += [f"Preferred Codec: {codec}", "Lpcor Type: none"]
    lines += active_calls(ep, reg)
    return lines


def _rows(router: Router) -> list[tuple[int, Ephone | None, Registration | None]]:
    regs = router.phones.registrations
    configured = {ep.tag: ep for ep in ephones(router.config)}
    tags = sorted(set(configured) | set(regs))
    return [(t, configured.get(t), regs.get(t)) for t in tags]


@command("exec", "show ephone [{registered|unregistered}:which]", help=SHOW_HELP)
def show_ephone(c: Ctx) -> None:
    which = c.args.get("which")
    blocks = []
    for _, ep, reg in _rows(c.router):
        if (which == "registered" and reg is None) or (which == "unregistered" and reg):
            continue
        blocks.append("\n".join(ephone_block(c.router, ep, reg)))
    if blocks:
        c.session.emit("\n\n".join(blocks) + "\n\n")


@command("exec", f"show ephone <1-{MAX_EPHONES}>:tag", help=SHOW_HELP)
def show_ephone_tag(c: Ctx) -> None:
    for tag, ep, reg in _rows(c.router):
        if tag == c.args["tag"]:
            c.session.emit("\n".join(ephone_block(c.router, ep, reg)) + "\n\n")


@command("exec", "show ephone summary", help=SHOW_HELP)
def show_ephone_summary(c: Ctx) -> None:
    router = c.router
    out = ["hairpin_block:"]
    registered = unregistered = 0
    for tag, ep, reg in _rows(router):
        mac = reg.mac if reg else (ep.mac if ep and ep.mac else "0000.0000.0000")
        buttons = sorted(ep.buttons if ep else [], key=lambda b: b.index)
        primary = f"{buttons[0].dns[0]}*" if buttons and buttons[0].dns else ""
        state = "REGISTERED" if reg else "UNREGISTERED"
        sock = reg.socket if reg else -1
        out.append(f"ephone-{tag}[{tag - 1}] Mac:{mac} TCP socket:[{sock}] activeLine:0 "
                   f"whisperLine:0 {state}")
        out.append("mediaActive:0 whisper_mediaActive:0 startMedia:0 offhook:0 ringing:0 "
                   f"reset:0 reset_sent:{reg.reset_sent if reg else 0} debug:0  "
                   f"primary_dn: {primary}")
        model = (ep.type if ep and ep.type else reg.model) if reg else "Unknown"
        keys = " ".join(f"{b.index}:{','.join(map(str, b.dns))}" for b in buttons)
        # [D] the command reference's example: `IP:10.2.1.0 * SCCP Gateway (AN)  keepalive
        # 2966   music 0  1:1`, where `SCCP Gateway (AN)` is the device's model name
        out.append(f"IP:{reg.ip if reg else '0.0.0.0'} * {model}  keepalive "
                   f"{reg.keepalives if reg else 0}   music 0  {keys}".rstrip())
        if reg:
            registered += 1
        else:
            unregistered += 1
    ts = telephony_service(router.config)
    limit = router.phones.limit(ts)
    out.append(f"Max {limit}, Registered {registered}, Unregistered {unregistered}, "
               f"Deceased 0, Sockets {router.phones.socket_count}")
    out += ["Max Conferences 8 with 0 active (8 allowed)", "Skinny Music On Hold Status",
            "Active MOH clients 0 (max 72), Media Clients 0", "No MOH file loaded"]
    c.session.emit("\n".join(out) + "\n")


_SERVER_MODES = {"secure": "Secure", "non-secure": "Non-Secure", "erase": "Erase"}
CME_VERSION = "7.1"  # the CME of IOS 12.4(24)T, the release `show version` prints
CNF_OPTIONS = {"perphone": "PER-PHONE", "perphonetype": "PER-PHONE-TYPE"}


def telephony_service_lines(router: Router) -> list[str]:
    """`show telephony-service`: the header of a real CME 10.5 capture and the CME command
    reference's `show telephony-service all` / `show call-manager-fallback` examples [D], with
    this lab's CME version; the settings this lab models, in their order and spelling. The
    later releases' `Max phoneload sccp version` lines are left out [U: unknown for 7.1]."""
    ts = telephony_service(router.config)
    if ts is None:
        return []
    source = ts.source
    out = [f"CONFIG (Version={CME_VERSION})", "=====================",
           f"Version {CME_VERSION}", "Cisco Unified Communications Manager Express",
           "For on-line documentation please see:",
           "www.cisco.com/en/US/products/sw/voicesw/ps4625/tsd_products_support_series_home.html",
           f"ip source-address {source.addr if source else '0.0.0.0'} port {ts.port}",
           f"max-ephones {ts.max_ephones or 0}",
           f"max-dn {ts.max_dn or 0}",
           "max-conferences 8 gain -6",
           "dspfarm units 0",
           "dspfarm transcode sessions 0",
           f"cnf-file location: {ts.cnf_file_location or 'system:'}",
           f"cnf-file option: {CNF_OPTIONS.get(ts.cnf_file or '', 'PER-PHONE-TYPE')}"]
    out += [f"dialplan-pattern {tag} {p.pattern} extension-length {p.length}"
            for tag, p in sorted(ts.dialplan_patterns.items())]
    out += [f"keepalive {ts.keepalive_interval} auxiliary 30",
            "timeout interdigit 10", "timeout busy 10", "timeout ringing 180"]
    return out


@command("exec", "show telephony-service", help=SHOW_HELP)
def show_telephony_service(c: Ctx) -> None:
    lines = telephony_service_lines(c.router)
    if lines:
        c.session.emit("\n".join(lines) + "\n")


@command("exec", "show telephony-service security-info", help=SHOW_HELP)
def show_security_info(c: Ctx) -> None:
    ts = telephony_service(c.router.config)
    if ts is None:
        return
    server = _SERVER_MODES.get(ts.server_security_mode or "", "Non-Secure")  # unset [M]
    c.session.emit(
        f"Skinny Server Trustpoint for TLS: {ts.secure_signaling_trustpoint or ''}\n"
        f"TFTP Credentials Trustpoint: {ts.tftp_server_trustpoint or ''}\n"
        f"Server Security Mode: {server}\n"
        f"Global Device Security Mode: {ts.device_security_mode.capitalize()}\n")


# --- debug ephone -----------------------------------------------------------------------------
# The enable/disable texts are this lab's [U]: no capture was found (specs/ios-cli.md 6.12).


@command("exec", "debug ephone {register|keepalive|detail}:what [mac-address H.H.H:mac]",
         help=DEBUG_HELP)
def debug_ephone(c: Ctx) -> None:
    what = c.args["what"]
    text = f"EPHONE {DEBUG_NAMES[what]} debugging is enabled"
    c.router.debug.enable(f"ephone {what}", text)
    if c.args.get("mac"):
        c.router.phones.debug_macs.add(c.args["mac"])
    c.out(text)


def _undebug(c: Ctx) -> None:
    what = c.args.get("what")
    c.router.debug.disable("ephone" + (f" {what}" if what else ""))
    if c.args.get("mac"):
        c.router.phones.debug_macs.discard(c.args["mac"])
    elif not c.router.debug.on("ephone register") and not c.router.debug.on("ephone detail") \
            and not c.router.debug.on("ephone keepalive"):
        c.router.phones.debug_macs.clear()
    c.out(f"EPHONE {DEBUG_NAMES[what] + ' ' if what else ''}debugging is disabled")


@command("exec", "no debug ephone [{register|keepalive|detail}:what] [mac-address H.H.H:mac]",
         help=DEBUG_HELP)
def no_debug_ephone(c: Ctx) -> None:
    _undebug(c)


@command("exec", "undebug ephone [{register|keepalive|detail}:what] [mac-address H.H.H:mac]",
         help=DEBUG_HELP)
def undebug_ephone(c: Ctx) -> None:
    _undebug(c)
