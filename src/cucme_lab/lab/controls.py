"""Lab controls: things done to the phones rather than typed into IOS, on lines starting `:`.

No IOS command begins with a colon, so these can sit in the console and in scripts beside
ordinary commands:

    :phones                     the phones and what their screens say
    :phone N                    one phone: status messages, security, certificates, settings
    :boot N|all  :off N|all  :power-cycle N|all  :factory-reset N|all
    :erase-ctl N                Settings > Security > CTL File > Erase (needs settings access)
    :key N DIGITS               key in the CAPF authentication string on phone N
    :add MAC [MODEL] [ADDRESS]  plug in another phone
    :wait N|all STATE [SECONDS] wait until the phone(s) reach a state (scripts); a call
                                state (offhook, dialing, ringout, ringin, connected, hold,
                                busy, reorder) waits for a call in it, idle for no call
    :dial N DIGITS              phone N lifts its handset and keys DIGITS
    :answer N                   phone N answers its ringing call
    :hangup N                   phone N hangs up
    :hold N  :resume N          phone N holds its call (the other hears music on hold),
                                or resumes it
    :transfer N [DIGITS]        blind transfer to DIGITS (Trnsfer, dial, Trnsfer while it
                                rings); without DIGITS, press Trnsfer once (start, or
                                complete a consultation)
    :conference N [DIGITS]      Confrn and dial DIGITS; once they answer, :conference N
                                joins the three
    :calls                      every call: state, other party, security, media counters
    :pstn                       the calls the simulated PSTN received (port, digits, result)
    :mic-root                   the manufacturing CA's root certificate (PEM), to import
N is the phone's position (1, 2, ...) or its MAC.
"""

from __future__ import annotations

import shlex

import trio
from cryptography.hazmat.primitives import serialization

from cucme_lab.lab.runtime import LabRuntime
from cucme_lab.phones.calls import STATES as CALL_STATES
from cucme_lab.phones.calls import CallError, PhoneCall
from cucme_lab.phones.fleet import PhoneSpec
from cucme_lab.phones.phone import Phone

HELP = __doc__.split("\n\n", 1)[1].rstrip() + "\n"


def phone_table(runtime: LabRuntime) -> str:
    rows = [f"{'#':>2}  {'Device':<16}{'Model':<7}{'Address':<16}{'State':<20}"
            f"{'Security':<15}Status"]
    for i, p in enumerate(runtime.phones, start=1):
        rows.append(f"{i:>2}  {p.device_name:<16}{p.model.name:<7}{p.network.address:<16}"
                    f"{p.state:<20}{p.security:<15}{p.last_status}")
    return "\n".join(rows) + "\n"


def phone_details(p: Phone) -> str:
    lines = [f"{p.device_name} (Cisco IP Phone {p.model.name}) at {p.network.address}",
             f"  State: {p.state}   Security: {p.security}"]
    lsc, mic = p.storage.lsc, p.storage.mic
    for label, pair in (("LSC", lsc), ("MIC", mic)):
        if pair is None:
            lines.append(f"  {label}: not installed")
        else:
            cert = pair[0]
            lines.append(f"  {label}: {cert.subject.rfc4514_string()} issued by "
                         f"{cert.issuer.rfc4514_string()}, {cert.public_key().key_size}-bit, "
                         f"valid until {cert.not_valid_after_utc:%Y-%m-%d}")
    lines.append(f"  Trust list: {'installed' if p.storage.ctl else 'not installed'}")
    lines += [f"  {hint}" for hint in _hints(p)]
    a = p.applied
    lines.append(f"  Settings: web access {a.web_access} (page "
                 f"{'open' if p.web.open else 'closed'}), settings access {a.settings_access},"
                 f" PC port {a.pc_port}, span to PC port {a.span_to_pc_port}, voice VLAN access "
                 f"{a.voice_vlan_access}, GARP {a.garp}, speaker {a.speaker}, headset "
                 f"{a.headset}")
    calls = p.calls
    lines.append("  Calls:" if calls else "  Calls: none")
    lines += [f"    {call_line(c)}" for c in calls]
    lines.append("  Status Messages:")
    lines += [f"    {m}" for m in p.messages[-15:]]
    return "\n".join(lines) + "\n"


def _hints(p: Phone) -> list[str]:
    """What the trainee can do about the state the phone is stuck in (this lab's words)."""
    n = p.mac
    if p.state == "waiting-auth-string":
        return ["The router's CAPF asks for this phone's authentication string: its administrator"
                " reads it with `show capf-server auth-string` (made by `auth-string generate` in"
                f" capf-server, or `capf-auth-str` in the ephone). Key it in: :key {n} DIGITS"]\
            + (["It already holds an LSC, but the router has no record of its operation "
                "completing (the router's log says why: %CAPF-6-OPER_PENDING)"]
               if p.storage.lsc else [])
    status = p.last_status
    if p.storage.ctl and status.startswith("TFTP file not found") and status.endswith(".sgn"):
        return ["This phone trusts a CTL, so it takes only signed configuration files, and the "
                "TFTP server has none for it: restore the router's secure configuration, or "
                f"erase the phone's trust list (:erase-ctl {n}, or :factory-reset {n})"]
    if status.startswith("Trust List Update Failed"):
        return ["The CTL the TFTP server offers is not signed by a SAST this phone trusts: "
                f"erase its trust list (:erase-ctl {n}, or :factory-reset {n})"]
    return []


def call_line(c: PhoneCall) -> str:
    """One call as the phone's screen would tell it, with its media counters."""
    icon = {"lock": " [lock]", "shield": " [shield]"}.get(c.icon, "")
    other = f"{c.other_name} {c.other_number}".strip() or c.digits or "-"
    text = f"line {c.line}: {c.state:<10} {other:<14} {c.security}{icon}"
    if c.prompt:
        text += f"  \"{c.prompt}\""
    m = c.media.counters if c.media is not None else None
    if m is not None:
        text += (f"  media {'SRTP' if m.srtp else 'RTP'}: sent {m.sent} received {m.received}"
                 f" lost {m.lost} auth failures {m.auth_failures} signal "
                 f"{'ok' if m.signal_ok else 'not ok'}")
    return text


def call_table(runtime: LabRuntime) -> str:
    rows = [f"{i:>2}  {p.device_name:<16}{call_line(c)}"
            for i, p in enumerate(runtime.phones, start=1) for c in p.calls]
    return "\n".join(rows) + "\n" if rows else "No calls\n"


def pstn_table(runtime: LabRuntime) -> str:
    """`:pstn`: each call the PSTN received, as the voice port sent its digits."""
    pstn = runtime.lab.pstn
    rows = [f"{c.port:<6} {c.digits:<24} {c.result}"
            + (f"  media sent {c.media.sent}, received {c.media.received}"
               if c.media is not None else "")
            for c in (pstn.calls if pstn is not None else [])]
    return "\n".join(rows) + "\n" if rows else "No PSTN calls\n"


async def _wait(runtime: LabRuntime, which: str, state: str, seconds: float) -> None:
    """A phone state, a call state on any of the phone's lines, or `idle` (no call)."""
    if state == "idle":
        def reached(q: Phone) -> bool:
            return not q.calls
    elif state in CALL_STATES:
        def reached(q: Phone) -> bool:
            return any(c.state == state for c in q.calls)
    else:
        def reached(q: Phone) -> bool:
            return q.state == state
    with trio.fail_after(seconds):
        for p in _targets(runtime, which):
            await p.wait_until(reached, timeout=seconds)


def _targets(runtime: LabRuntime, which: str) -> list[Phone]:
    return runtime.phones if which == "all" else [runtime.phone(which)]


async def run_control(runtime: LabRuntime, line: str) -> str:
    """Carry out one `:` line; returns what to print (errors start with `%`)."""
    try:
        words = shlex.split(line)
    except (ValueError, CallError) as exc:
        return f"% {exc}\n"
    if not words or words[0] in ("help", "?"):
        return HELP
    verb, args = words[0], words[1:]
    try:
        return await _dispatch(runtime, verb, args)
    except (KeyError, IndexError):
        return f"% No such phone, or a missing argument: :{line}\n"
    except trio.TooSlowError:
        return "% Timed out waiting\n"
    except (ValueError, CallError) as exc:
        return f"% {exc}\n"


async def _dispatch(runtime: LabRuntime, verb: str, args: list[str]) -> str:
    fleet = runtime.fleet
    if verb == "phones":
        return phone_table(runtime)
    if verb == "phone":
        return phone_details(runtime.phone(args[0]))
    if verb in ("boot", "on"):
        for p in _targets(runtime, args[0]):
            fleet.power_on(p)
        return ""
    if verb == "off":
        for p in _targets(runtime, args[0]):
            fleet.power_off(p)
        return ""
    if verb == "power-cycle":
        for p in _targets(runtime, args[0]):
            await fleet.power_cycle(p)
        return ""
    if verb == "factory-reset":
        for p in _targets(runtime, args[0]):
            await fleet.factory_reset(p)
        return ""
    if verb == "erase-ctl":
        p = runtime.phone(args[0])
        return "" if p.erase_ctl() else f"% {p.device_name}: settings access is disabled\n"
    if verb == "key":
        runtime.phone(args[0]).key_in_auth_string(args[1])
        return ""
    if verb == "add":
        spec = PhoneSpec(args[0], args[1] if len(args) > 1 else "7970",
                         args[2] if len(args) > 2 else "")
        p = runtime.add_phone(spec)
        return f"{p.device_name} plugged in at {p.network.address}\n"
    if verb == "wait":
        await _wait(runtime, args[0], args[1], float(args[2]) if len(args) > 2 else 30.0)
        return ""
    if verb == "dial":
        await runtime.phone(args[0]).dial(args[1])
        return ""
    if verb == "answer":
        await runtime.phone(args[0]).answer()
        return ""
    if verb == "hangup":
        await runtime.phone(args[0]).hang_up()
        return ""
    if verb in ("hold", "resume"):
        p = runtime.phone(args[0])
        await (p.hold() if verb == "hold" else p.resume())
        return ""
    if verb == "transfer":
        await runtime.phone(args[0]).transfer(args[1] if len(args) > 1 else None)
        return ""
    if verb == "conference":
        await runtime.phone(args[0]).conference(args[1] if len(args) > 1 else None)
        return ""
    if verb == "calls":
        return call_table(runtime)
    if verb == "pstn":
        return pstn_table(runtime)
    if verb == "mic-root":
        return runtime.manufacturing.certificate.public_bytes(
            serialization.Encoding.PEM).decode()
    return f"% Unknown lab control :{verb} (type :help)\n"


def toolbar(runtime: LabRuntime) -> str:
    """One line for the console's bottom bar: each phone's state at a glance."""
    marks = {"registered": "+", "off": " ", "rejected": "!", "waiting-auth-string": "?"}
    icons = {"lock": " [lock]", "shield": " [shield]"}
    parts = [f"{i}:{p.mac[-4:]} {marks.get(p.state, '~')}{p.state}/{p.security}"
             + "".join(f" {c.state}{icons.get(c.icon, '')}" for c in p.calls)
             for i, p in enumerate(runtime.phones, start=1)]
    waiting = [str(i) for i, p in enumerate(runtime.phones, start=1)
               if p.state == "waiting-auth-string"]
    hint = (f"   phone {','.join(waiting)} asks for its CAPF string (show capf-server "
            "auth-string; :key N DIGITS)" if waiting else "   (:help for lab controls)")
    return "Phones " + "  ".join(parts) + hint
