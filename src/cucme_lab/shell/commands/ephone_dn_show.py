"""`show ephone-dn [tag]`: each extension as the virtual voice port CME makes of it.

The layout is the Cisco Unified CME command reference's sample for `show ephone-dn` (one
`50/0/TAG CH1 STATE` line, then the EFXS port's settings, which do not apply to an IP phone
and print as the sample does). The sample shows no call in progress; its field table names
what a dn in a call adds (Call Ref, chan, called, calling, CODEC, VAD, Stream Port, Tx/Rx
Pkts, Lost), so those lines are laid out by this lab [U], all but `Tx Pkts ...`, which is
the line `show ephone` prints. `Call security:` is this lab's addition [U], so a trainee sees
whether the call is encrypted, authenticated or non-secure.
"""

from __future__ import annotations

from cucme_lab.router.router import Router
from cucme_lab.router.telephony.calls import Leg, security_name
from cucme_lab.router.telephony.settings import MAX_DN, EphoneDn, ephone_dns, ephones
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.commands.ephone_show import CHANNEL_STATES
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

SHOW_HELP = {"ephone-dn": "ephone-dn status",  # [U]
             "tag": "ephone-dn tag"}

# The EFXS port's settings between `Administrative State` and `Station name` (the sample's).
PORT_SETTINGS = """\
 No Interface Down Failure
 Description is not set
 Noise Regeneration is enabled
 Non Linear Processing is enabled
 Non Linear Mute is disabled
 Non Linear Threshold is -21 dB
 Music On Hold Threshold is Set to -38 dBm
 In Gain is Set to 0 dB
 Out Attenuation is Set to 0 dB
 Echo Cancellation is enabled
 Echo Cancellation NLP mute is disabled
 Echo Cancellation NLP threshold is -21 dB
 Echo Cancel Coverage is set to 8 ms
 Playout-delay Mode is set to adaptive
 Playout-delay Nominal is set to 60 ms
 Playout-delay Maximum is set to 200 ms
 Playout-delay Minimum mode is set to default, value 40 ms \n\
 Playout-delay Fax is set to 300 ms
 Connection Mode is normal
 Connection Number is not set
 Initial Time Out is set to 10 s
 Interdigit Time Out is set to 10 s
 Call Disconnect Time Out is set to 60 s
 Ringing Time Out is set to 180 s
 Wait Release Time Out is set to 30 s
 Companding Type is u-law
 Region Tone is set for US"""
CALLER_ID = """\
 Caller ID Info Follows:
 Standard BELLCORE
 Translation profile (Incoming): \n\
 Translation profile (Outgoing): \n\
 Digit Duration Timing is set to 100 ms"""


def dn_legs(router: Router, tag: int) -> list[Leg]:
    """The call legs on the lines of registered phones whose button holds ephone-dn `tag`."""
    regs = router.phones.registrations
    legs = []
    for ep in ephones(router.config):
        reg = regs.get(ep.tag)
        if reg is None or reg.station is None:
            continue
        for button in ep.buttons:
            leg = reg.station.legs.get(button.index)
            if tag in button.dns[:1] and leg is not None:
                legs.append(leg)
    return legs


def _registered(router: Router, tag: int) -> bool:
    regs = router.phones.registrations
    return any(ep.tag in regs and any(tag in b.dns for b in ep.buttons)
               for ep in ephones(router.config))


def _call_lines(leg: Leg) -> list[str]:
    """What a dn in a call adds [U]: the field table's names, in its words."""
    call = leg.call
    if call is None:
        return []
    other = call.other(leg)
    called, calling = (other, leg) if call.caller is leg else (leg, other)
    port = leg.rx_address[1] if leg.rx_address else 0
    media = " (SRTP AES_CM_128_HMAC_SHA1_32)" if call.keys else ""
    return [f" Call Ref {leg.ref}, chan 1, called {called.number}, calling {calling.number}",
            f" CODEC g711ulaw VAD disabled, Stream Port {port}",
            " Tx Pkts 0 bytes 0 Rx Pkts 0 bytes 0 Lost 0",
            f" Call security: {security_name(call.security)}{media}"]


def dn_block(router: Router, dn: EphoneDn) -> list[str]:
    tag = dn.tag
    legs = dn_legs(router, tag)
    active = next((leg for leg in legs if leg.call is not None), legs[0] if legs else None)
    if active is not None:
        ch1 = CHANNEL_STATES.get(active.state, "IDLE")
    else:
        ch1 = "IDLE" if _registered(router, tag) else "DOWN"
    head = f"50/0/{tag} CH1 {ch1:<10}" + (f"CH2 {'IDLE':<12}" if dn.dual_line else "")
    operation = "DORMANT" if ch1 == "IDLE" else "UP"  # the sample: IDLE dormant, else up
    lines = [head,
             f"EFXS 50/0/{tag} Slot is 50, Sub-unit is 0, Port is {tag}",
             " Type of VoicePort is EFXS",
             f" Operation State is {operation}",
             " Administrative State is UP",
             *PORT_SETTINGS.split("\n"),
             f" Station name {dn.name or 'None'}, Station number {dn.number or 'None'}",
             *CALLER_ID.split("\n")]
    if active is not None:
        lines += _call_lines(active)
    return lines


@command("exec", f"show ephone-dn [<1-{MAX_DN}>:tag]", help=SHOW_HELP)
def show_ephone_dn(c: Ctx) -> None:
    tag = c.args.get("tag")
    blocks = [dn_block(c.router, dn) for dn in ephone_dns(c.router.config)
              if tag is None or dn.tag == tag]
    if blocks:
        c.session.emit("\n".join(line for block in blocks for line in block) + "\n")
