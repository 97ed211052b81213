"""Carrying out scenario steps against a running lab, and judging expectations.

Each step returns a `StepOutcome`: what was seen (a short line for the timeline, plus the full
text where there is one) and, for `expect` and `wait`, one `Check` per thing judged, each with
the expected and the observed value.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

import trio

from cucme_lab.router.router import Router
from cucme_lab.scenarios import faults, snmp_expect
from cucme_lab.scenarios.logins import telnet_login
from cucme_lab.scenarios.outcomes import Check, StepError, StepOutcome
from cucme_lab.scenarios.scenario import HARDENING, Step, TextCheck
from cucme_lab.shell.declarations import CommandSet
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import script_answer, script_key

POLL = 0.02
EXCERPT_LINES = 12
REJECTED = re.compile(r"% (Invalid input|Incomplete command|Ambiguous command|Unknown command)"
                      r"|%Error")


class StepTerminal:
    """The console as a scenario types at it: each `cli` step loads its lines.

    A dialogue's answers are the step's following lines, as when a configuration is pasted.
    """

    interactive = False

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.chunks: list[str] = []

    def load(self, lines: list[str]) -> None:
        self.lines = list(lines)
        self.chunks = []

    def write(self, text: str) -> None:
        self.chunks.append(text)

    async def readline(self, prompt: str, *, echo: bool = True) -> str | None:
        self.write(prompt)
        line = self.lines.pop(0).rstrip("\r\n") if self.lines else None
        return script_answer(self, line, echo)

    async def read_key(self, prompt: str) -> str | None:
        self.write(prompt)
        return script_key(self, self.lines.pop(0) if self.lines else None)

    def output(self) -> str:
        return "".join(self.chunks)


@dataclass
class Context:
    """What the steps act on: the router, and the phones when the lab has its network."""

    router: Router
    commands: CommandSet  # the shell's, as the lab built it
    runtime: Any = None  # scenarios.runtime.LabRuntime, or None without network
    nursery: trio.Nursery | None = None
    last_output: str = ""
    session: Session | None = None
    terminal: StepTerminal = field(default_factory=StepTerminal)
    drops: faults.TrafficDrops | None = None
    outside: dict[str, Any] = field(default_factory=dict)  # outside servers, by role

    def close(self) -> None:
        if self.session is not None and not self.session.closed:
            self.session.close()

    # --- the console --------------------------------------------------------------------
    async def type_lines(self, lines: list[str], priv: int = 15) -> str:
        """Type lines at the console session, which keeps its mode from step to step."""
        if self.session is None or self.session.closed or self.session.priv != priv:
            self.close()
            self.session = Session(self.router, self.terminal, self.commands, priv=priv,
                                   controls=self._controls if self.runtime else None)
        session, terminal = self.session, self.terminal
        terminal.load(lines)
        while not session.closed:
            text = await terminal.readline(session.prompt() + session.pending)
            if text is None:
                break
            text, session.pending = session.pending + text, ""
            await session.handle(text)
        session.flush()
        return terminal.output()

    async def _controls(self, line: str) -> str:
        from cucme_lab.lab.controls import run_control

        return await run_control(self.runtime, line)

    async def command_output(self, command: str) -> str:
        """Type one command in a fresh privileged session; its output without the echo."""
        terminal = StepTerminal()
        terminal.load([command])
        session = Session(self.router, terminal, self.commands, priv=15)
        await session.run()
        out = terminal.output()
        first = out.find("\n")
        return out[first + 1:] if first >= 0 else out

    # --- the phones ---------------------------------------------------------------------
    def need_runtime(self, what: str) -> Any:
        if self.runtime is None:
            raise StepError(f"{what} needs the lab's network and phones "
                            "(this scenario sets `settings: {network: false}`)")
        return self.runtime

    def phones(self, which: str) -> list[Any]:
        runtime = self.need_runtime("a phone step")
        if which == "all":
            if not runtime.phones:
                raise StepError("the lab has no phones")
            return runtime.phones
        try:
            return [runtime.phone(which)]
        except (KeyError, IndexError):
            raise StepError(f"the lab has no phone {which}") from None


# --- steps ----------------------------------------------------------------------------------

async def run_step(ctx: Context, step: Step) -> StepOutcome:
    a = step.args
    if step.kind == "cli":
        return cli_step(await ctx.type_lines(a["lines"], a["priv"]), ctx)
    if step.kind == "phones":
        return StepOutcome(await phone_action(ctx, a))
    if step.kind == "fault":
        return StepOutcome(await fault_step(ctx, a))
    if step.kind == "expect":
        return StepOutcome(checks=await evaluate(ctx, a))
    if step.kind == "file":
        return StepOutcome(put_flash_file(ctx.router, a["flash"], a["text"].encode()))
    if step.kind == "outside-server":
        from cucme_lab.scenarios.outside_step import run_outside

        return StepOutcome(await run_outside(ctx, a))
    if step.kind == "login":
        return cli_step(await telnet_login(ctx.need_runtime("a login"), a), ctx)
    if "seconds" in a:
        await trio.sleep(a["seconds"])
        return StepOutcome(f"waited {a['seconds']:g}s")
    return await wait_until(ctx, a["until"], a["timeout"])


def cli_step(out: str, ctx: Context) -> StepOutcome:
    ctx.last_output = out
    errors = [line for line in out.splitlines() if REJECTED.match(line)]
    logs = [line for line in out.splitlines() if re.match(r"^[*.]?\w{3} +\d+ [\d:.]+: %", line)]
    seen = f"{len(out.splitlines())} line(s) of output"
    if errors:
        seen += f"; {len(errors)} line(s) rejected, first: {errors[0]}"
    if logs:
        seen += f"; {len(logs)} syslog line(s)"
    return StepOutcome(seen, out)


async def wait_until(ctx: Context, args: dict, timeout: float) -> StepOutcome:
    start = trio.current_time()
    checks = await evaluate(ctx, args)
    with trio.move_on_after(timeout):
        while not all(c.ok for c in checks):
            await trio.sleep(POLL)
            checks = await evaluate(ctx, args)
    took = trio.current_time() - start
    if all(c.ok for c in checks):
        return StepOutcome(f"held after {took:.2f}s", checks=checks)
    for c in checks:
        if not c.ok:
            c.observed += f" (still, after {timeout:g}s)"
    return StepOutcome(f"timed out after {timeout:g}s", checks=checks)


def put_flash_file(router: Router, name: str, data: bytes) -> str:
    """The administrator's file lands on flash (as `copy tftp: flash:` from their own TFTP
    server would leave it); `tftp-server` bindings read flash again, as after a `copy`."""
    from cucme_lab.router.provisioning import cnf
    from cucme_lab.router.storage import FlashPathError

    try:
        router.storage.write_flash(name, data)
    except FlashPathError as exc:
        raise StepError(f"bad flash path {name}: {exc}") from None
    cnf.republish_bindings(router)
    return f"flash:{name} written ({len(data)} bytes)"


def _flip(data: bytes, index: int | None) -> tuple[bytes, int]:
    if not data:
        raise StepError("the file is empty: nothing to tamper with")
    i = (len(data) - 20 if len(data) > 40 else len(data) // 2) if index is None else index
    if not -len(data) <= i < len(data):
        raise StepError(f"byte {i} is outside the file ({len(data)} bytes)")
    i %= len(data)
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:], i


def tamper_tftp(router: Router, name: str, index: int | None) -> str:
    """An attacker changes a file the router's TFTP server serves (in `system:/its`)."""
    from cucme_lab.router.provisioning.tftp_table import TftpEntry

    state = router.provisioning
    for group, entries in state.table.groups.items():
        if any(e.name == name for e in entries):
            changed: list[TftpEntry] = []
            where = 0
            for e in entries:
                if e.name == name:
                    data, where = _flip(e.data, index)
                    e = TftpEntry(e.name, data, e.source)
                changed.append(e)
            state.publish(group, changed)
            return f"TFTP now serves {name} with byte {where} changed"
    raise StepError(f"the router's TFTP server does not serve {name}")


async def phone_action(ctx: Context, a: dict) -> str:
    runtime = ctx.need_runtime(f"`phones: {a['action']}`")
    fleet, action = runtime.fleet, a["action"]
    if action == "add":
        phone = runtime.add_phone(a["spec"], boot=True)
        return f"{phone.device_name} plugged in at {phone.network.address}"
    if action in ("dial", "answer", "hang-up", "transfer"):
        return await call_action(ctx.phones(a["phone"])[0], a)
    if action == "tamper" and a["where"] == "tftp":
        name = a["file"] or f"{ctx.phones(a['phone'])[0].device_name}.cnf.xml.sgn"
        return tamper_tftp(ctx.router, name, a["byte"])
    seen = []
    for phone in ctx.phones(a["phone"]):
        if action == "boot":
            fleet.power_on(phone)
            seen.append(f"{phone.device_name} powered on")
        elif action == "power-off":
            fleet.power_off(phone)
            seen.append(f"{phone.device_name} powered off")
        elif action == "power-cycle":
            await fleet.power_cycle(phone)
            seen.append(f"{phone.device_name} power-cycled")
        elif action == "factory-reset":
            await fleet.factory_reset(phone)
            seen.append(f"{phone.device_name} reset to factory")
        elif action == "erase-ctl":
            done = phone.erase_ctl()
            seen.append(f"{phone.device_name}: " + ("CTL erased" if done else
                                                    f"refused: {phone.last_status}"))
        elif action == "key-auth-string":
            phone.key_in_auth_string(a["digits"])
            seen.append(f"{phone.device_name}: {a['digits']} keyed in")
        elif action == "tamper":
            stored = phone.storage.ctl
            if stored is None:
                raise StepError(f"{phone.device_name} has no trust list stored")
            data, where = _flip(stored, a["byte"])
            phone.storage.install_ctl(data)
            seen.append(f"{phone.device_name}: stored trust list byte {where} changed")
        elif action == "set-clock":
            if "offset" in a:
                phone.clock_offset = a["offset"]
            else:
                now = datetime.datetime.now(datetime.UTC)
                phone.clock_offset = (a["time"] - now).total_seconds()
            seen.append(f"{phone.device_name} clock now {phone.now():%Y-%m-%d %H:%M:%S}")
    return "; ".join(seen)


async def call_action(phone: Any, a: dict) -> str:
    """What the user's hands do: lift the handset and key digits, answer, hang up."""
    from cucme_lab.phones.calls import CallError

    action, who = a["action"], phone.device_name
    try:
        if action == "dial":
            call = await phone.dial(a["digits"], a["line"])
            return f"{who} dialled {a['digits']} on line {call.line}"
        if action == "transfer":
            call = await phone.transfer(a["digits"] or None, a["line"], blind=False)
            return f"{who} pressed Trnsfer" + (f" and dialled {a['digits']}"
                                               if a["digits"] else "")
        if action == "answer":
            call = await phone.answer(a["line"], soft_key=a["soft-key"])
            return f"{who} answered line {call.line}"
        call = await phone.hang_up(a["line"], soft_key=a["soft-key"])
        return f"{who} hung up line {call.line}"
    except (CallError, trio.TooSlowError) as exc:
        raise StepError(f"{who} cannot {action}: {exc or 'no answer from the router'}"
                        ) from None


async def fault_step(ctx: Context, a: dict) -> str:
    kind = a["fault"]
    if kind == "skew-clock":
        return faults.skew_clock(ctx.router, a["seconds"])
    if kind == "unset-clock":
        return faults.unset_clock(ctx.router)
    runtime = ctx.need_runtime(f"`fault: {kind}`")
    if kind == "stop-service" and a["service"] == "tacacs+":
        if runtime.tacacs is None:
            raise StepError("the lab file has no `tacacs:` server")
        runtime.tacacs.set_up(a["clear"])
        return f"the lab's TACACS+ server is {'up' if a['clear'] else 'down'}"
    if kind == "stop-service":
        manager = runtime.lab.services
        if manager is None:
            raise StepError("the lab's services are not running")
        if a["clear"]:
            return await faults.start_service(manager, a["service"])
        return await faults.stop_service(manager, a["service"])
    if ctx.drops is None:
        hole = faults.BlackHole()
        assert ctx.nursery is not None
        await ctx.nursery.start(hole.run)
        ctx.drops = faults.TrafficDrops(hole)
    act = ctx.drops.restore if a["clear"] else ctx.drops.drop
    return "; ".join(act(p) for p in ctx.phones(a["phone"]))


# --- expectations ---------------------------------------------------------------------------

async def evaluate(ctx: Context, a: dict) -> list[Check]:
    subject = a["subject"]
    if subject == "phone":
        return [c for p in ctx.phones(a["phone"]) for c in phone_checks(p, a)]
    if subject in ("flash", "tftp"):
        return [await file_check(ctx, subject, a["file"], a["exists"])]
    if subject == "snmp":
        return await snmp_expect.evaluate(ctx.need_runtime("an snmp expectation").lab, a)
    if subject == "audit":
        from cucme_lab.scenarios.audit_expect import audit_checks

        return audit_checks(ctx.router, a)
    if subject == "running-config":
        text = ctx.router.running_config()
    elif subject == "startup-config":
        text = ctx.router.startup_config() or ""
    elif subject == "syslog":
        text = "\n".join(ctx.router.log.lines)
    elif subject == "pstn":  # one line per call the PSTN received: port, digits, result
        pstn = ctx.need_runtime("`expect: pstn`").lab.pstn
        text = "\n".join(f"{c.port} {c.digits} {c.result}" for c in pstn.calls) if pstn else ""
    elif subject == "collector":
        from cucme_lab.scenarios.outside_step import collector_text

        text = collector_text(ctx)
    elif a.get("command"):
        text = await ctx.command_output(a["command"])
        subject = f"`{a['command']}`"
    else:
        subject = "cli output"
        text = ctx.last_output
    return text_checks(subject, text, a["text"])


def text_checks(subject: str, text: str, check: TextCheck) -> list[Check]:
    out = []
    for want in check.contains:
        ok = want in text
        out.append(Check(f"{subject} contains", want, "found" if ok else excerpt(text, want),
                         ok))
    for unwanted in check.absent:
        ok = unwanted not in text
        out.append(Check(f"{subject} does not contain", unwanted,
                         "not found" if ok else _around(text, unwanted), ok))
    for pattern in check.matches:
        m = re.search(pattern, text, re.MULTILINE)
        out.append(Check(f"{subject} matches", f"/{pattern}/",
                         f"matched: {m.group(0)[:200]}" if m else excerpt(text, pattern), bool(m)))
    return out


def _around(text: str, fragment: str) -> str:
    i = text.find(fragment)
    start = text.rfind("\n", 0, i) + 1
    end = text.find("\n", i + len(fragment))
    return "found: " + text[start:end if end >= 0 else len(text)]


def excerpt(text: str, want: str) -> str:
    """The part of `text` nearest to what was wanted, to show beside the expected value."""
    lines = text.splitlines()
    if not lines:
        return "(empty)"
    firsts = [w.strip() for w in want.splitlines() if w.strip()]
    anchor = firsts[0] if firsts else want.strip()
    key = re.sub(r"\W+", " ", anchor).split()
    best, score = -1, 0
    for i, line in enumerate(lines):
        s = sum(1 for k in key[:4] if k in line)
        if anchor and anchor in line:
            s += 10
        if s > score:
            best, score = i, s
    if best < 0:
        shown = lines[-EXCERPT_LINES:]
        head = f"(no similar line; last {len(shown)} of {len(lines)} lines)\n"
    else:
        begin = max(0, best - 2)
        shown = lines[begin:begin + max(EXCERPT_LINES, len(want.splitlines()) + 4)]
        head = f"(nearest, from line {begin + 1} of {len(lines)})\n"
    return head + "\n".join(shown)


def _cert(pair: Any) -> str:
    if pair is None:
        return "none"
    cert = pair[0]
    return (f"issuer {cert.issuer.rfc4514_string()}, subject {cert.subject.rfc4514_string()}, "
            f"{cert.public_key().key_size}-bit")


def phone_checks(p: Any, a: dict) -> list[Check]:
    who = p.device_name
    out: list[Check] = []
    if "state" in a:
        out.append(Check(f"{who} state", a["state"], p.state, p.state == a["state"]))
    if "security" in a:
        out.append(Check(f"{who} security", a["security"], p.security,
                         p.security == a["security"]))
    screen = [m.split(" ", 1)[1] if " " in m else m for m in p.messages]
    if "status" in a:
        ok = any(a["status"] in m for m in screen)
        out.append(Check(f"{who} status messages include", a["status"],
                         "found" if ok else " | ".join(screen[-8:]) or "(none)", ok))
    if "last-status" in a:
        out.append(Check(f"{who} last status", a["last-status"], p.last_status or "(none)",
                         a["last-status"] in p.last_status))
    for kind in ("lsc", "mic"):
        if kind not in a:
            continue
        pair = p.storage.lsc if kind == "lsc" else p.storage.mic
        want = a[kind]
        if want is None:
            out.append(Check(f"{who} {kind.upper()}", "none", _cert(pair), pair is None))
            continue
        if pair is None:
            out.append(Check(f"{who} {kind.upper()}", _describe_cert(want), "none", False))
            continue
        cert = pair[0]
        if want["issuer"] is not None:
            seen = cert.issuer.rfc4514_string()
            out.append(Check(f"{who} {kind.upper()} issuer", want["issuer"], seen,
                             want["issuer"].lower() in seen.lower()))
        if want["subject"] is not None:
            seen = cert.subject.rfc4514_string()
            out.append(Check(f"{who} {kind.upper()} subject", want["subject"], seen,
                             want["subject"].lower() in seen.lower()))
        if want["key-size"] is not None:
            size = cert.public_key().key_size
            out.append(Check(f"{who} {kind.upper()} key size", str(want["key-size"]), str(size),
                             size == want["key-size"]))
        if all(v is None for v in want.values()):
            out.append(Check(f"{who} {kind.upper()}", "installed", _cert(pair), True))
    if "trust-list" in a:
        seen = "installed" if p.storage.ctl is not None else "none"
        out.append(Check(f"{who} trust list", a["trust-list"], seen, seen == a["trust-list"]))
    for name, value in a.get("hardening", {}).items():
        seen = getattr(p.applied, HARDENING[name])
        out.append(Check(f"{who} {name}", value, str(seen), seen == value))
    if "web-page" in a:
        seen = "open" if p.web.open else "closed"
        out.append(Check(f"{who} web page", a["web-page"], seen, seen == a["web-page"]))
    if "call" in a:
        out += call_checks(p, a["call"])
    return out


FLOWING = 10  # packets each way (200 ms of audio) before media counts as flowing


def call_checks(p: Any, want: dict | None) -> list[Check]:
    """The phone's call (on `line`, else its first) against what is expected of it."""
    who, calls = p.device_name, p.calls
    if want is None:
        seen = ", ".join(f"line {c.line} {c.state}" for c in calls) or "none"
        return [Check(f"{who} call", "none", seen, not calls)]
    line = want.get("line")
    call = next((c for c in calls if c.line == line), None) if line else \
        (calls[0] if calls else None)
    where = f"{who} call" + (f" on line {line}" if line else "")
    if call is None:
        return [Check(where, ", ".join(k for k in want if k != "line"), "no call", False)]
    out: list[Check] = []
    for key, seen in (("state", call.state), ("other", call.other_number),
                      ("prompt", call.prompt),
                      ("security", call.security), ("icon", call.icon or "none")):
        if key in want:
            out.append(Check(f"{where} {key}", want[key], seen or "(none)", seen == want[key]))
    media = want.get("media", {})
    m = call.media.counters if call.media is not None else None
    counts = (f"sent {m.sent}, received {m.received}, lost {m.lost}, auth failures "
              f"{m.auth_failures}" if m is not None else "no media")
    if "flowing" in media:
        flowing = m is not None and m.sent >= FLOWING and m.received >= FLOWING and m.signal_ok
        out.append(Check(f"{where} media flowing", str(media["flowing"]).lower(),
                         f"{str(flowing).lower()} ({counts})", flowing == media["flowing"]))
    if "srtp" in media:
        srtp = m is not None and m.srtp
        out.append(Check(f"{where} media SRTP", str(media["srtp"]).lower(),
                         str(srtp).lower(), srtp == media["srtp"]))
    if "auth-failures" in media:
        seen_failures = m.auth_failures if m is not None else 0
        out.append(Check(f"{where} media auth failures", str(media["auth-failures"]),
                         str(seen_failures), seen_failures == media["auth-failures"]))
    if "signal" in media:
        signal = "ok" if m is not None and m.signal_ok else "not-ok"
        out.append(Check(f"{where} media signal", media["signal"], f"{signal} ({counts})",
                         signal == media["signal"]))
    return out


def _describe_cert(want: dict) -> str:
    parts = [f"{k} {v}" for k, v in want.items() if v is not None]
    return ", ".join(parts) or "installed"


async def file_check(ctx: Context, where: str, name: str, exists: bool) -> Check:
    expected = "exists" if exists else "absent"
    if where == "flash":
        from cucme_lab.router.storage import FlashPathError

        try:
            data = ctx.router.storage.read_flash(name)
        except FlashPathError as exc:
            return Check(f"flash:{name}", expected, f"bad flash path: {exc}", False)
        seen = f"exists ({len(data)} bytes)" if data is not None else "absent"
        return Check(f"flash:{name}", expected, seen, (data is not None) == exists)
    seen = await tftp_lookup(ctx, name)
    return Check(f"tftp:{name}", expected, seen, seen.startswith("exists") == exists)


async def tftp_lookup(ctx: Context, name: str) -> str:
    """Ask the router's TFTP server, over the wire when the lab has its network."""
    from cucme_lab.router.provisioning.tftp_table import published

    if ctx.runtime is None or ctx.runtime.lab.services is None:
        data = published(ctx.router).get(name)
        return f"exists ({len(data)} bytes, published)" if data is not None else "absent"
    from cucme_lab.phones.tftp import TftpFailure, download

    entries = [e for e in ctx.runtime.lab.services.entries() if e.name == "tftp"]
    if not entries:
        return "absent (no TFTP server is listening)"
    try:
        data = await download(entries[0].bound_address, entries[0].bound_port, name,
                              local_address="127.0.0.1")
    except TftpFailure as exc:
        return f"absent ({exc.status})"
    return f"exists ({len(data)} bytes, downloaded)"
