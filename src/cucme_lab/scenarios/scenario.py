"""The scenario format: a lab, then steps (`cli`, `phones`, `wait`, `expect`, `fault`, `file`,
`outside-server`).

`load_scenario(path)` reads a YAML scenario and checks every field; a mistake raises
`SchemaError(file, line, field, message)` and nothing is run. The format is documented, step by
step, in docs/scenarios.md; this module is its schema.

```yaml
# NSA guide, Appendix B: the global-settings configuration pasted at the console.
name: Appendix B pasted
lab: {phones: [], startup-config: "hostname CME"}
settings: {network: false}
steps:
  - cli: |
      configure terminal
      ...
  - expect:
      running-config: {contains: "device-security-mode encrypted"}
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cucme_lab.lab.labfile import DEFAULT_LAB, MAC, LabFile, load_lab, parse_lab
from cucme_lab.lab.yamlnodes import Node, SchemaError, load
from cucme_lab.phones.calls import KEYPAD
from cucme_lab.phones.calls import STATES as CALL_STATES
from cucme_lab.phones.fleet import PhoneSpec
from cucme_lab.phones.models import MODELS
from cucme_lab.scenarios import snmp_expect
from cucme_lab.scenarios.logins import describe_login, parse_login

STEP_KINDS = ("cli", "phones", "wait", "expect", "fault", "file", "outside-server", "login")
PHONE_ACTIONS = ("boot", "power-off", "power-cycle", "factory-reset", "erase-ctl",
                 "key-auth-string", "tamper", "set-clock", "add", "dial", "answer", "hang-up",
                 "transfer")
SERVICES = ("tftp", "http", "pki-enrolment", "capf", "sccp", "sccp-tls", "ssh", "telnet",
            "tacacs+")  # tacacs+: the lab's own TACACS+ server (lab file `tacacs:`)
PHONE_STATES = ("off", "booting", "configuring", "waiting-auth-string", "enrolling",
                "registering", "registered", "unregistered", "rejected")
SECURITY_MODES = ("non-secure", "authenticated", "encrypted")
CALL_ICONS = ("lock", "shield", "none")
CALL_FIELDS = {"line", "state", "other", "security", "icon", "media", "prompt"}
MEDIA_FIELDS = {"flowing", "srtp", "auth-failures", "signal"}
HARDENING = {"web-access": "web_access", "settings-access": "settings_access",
             "pc-port": "pc_port", "span-to-pc-port": "span_to_pc_port",
             "voice-vlan-access": "voice_vlan_access", "garp": "garp", "speaker": "speaker",
             "headset": "headset"}
HARDENING_VALUES = ("enabled", "disabled", "read-only", "restricted")
DURATION = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*(s|m|h|d|y)?\s*")
UNITS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}
DEFAULT_WAIT = 30.0


@dataclass(frozen=True)
class TextCheck:
    """Checks on a text: every `contains` present, no `absent` present, `matches` found."""

    contains: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    matches: tuple[str, ...] = ()


@dataclass
class Step:
    kind: str  # one of STEP_KINDS
    line: int  # where the step starts in its file
    label: str = ""  # the optional `name:` of the step
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.label or describe(self)


@dataclass
class Settings:
    network: bool = True  # start the router's services and the lab's phones
    boot_phones: bool = True
    time_scale: float = 1.0
    timeout: float = 120.0  # the whole scenario
    keep_going: bool = False  # run the remaining steps after a failed one


@dataclass
class Scenario:
    file: str
    name: str
    lab: LabFile
    steps: list[Step]
    settings: Settings = field(default_factory=Settings)
    description: str = ""
    shows: str = ""  # the passage of a document the scenario shows
    status: str = "ready"  # "draft": reported as skipped, with `reason`
    reason: str = ""


# --- reading ------------------------------------------------------------------------------

def load_scenario(path: Path | str) -> Scenario:
    """Read and check a scenario file; raises SchemaError naming file, line and field."""
    root = load(path)
    top = root.mapping({"name", "description", "shows", "status", "reason", "lab", "settings",
                        "steps"})
    file = str(path)
    sc = Scenario(file=file, name=Path(file).name.split(".")[0], lab=LabFile(), steps=[])
    if "name" in top:
        sc.name = top["name"].text()
    if "description" in top:
        sc.description = top["description"].text()
    if "shows" in top:
        sc.shows = top["shows"].text()
    if "status" in top:
        sc.status = top["status"].choice(("ready", "draft"))
    if "reason" in top:
        sc.reason = top["reason"].text()
    if sc.status == "draft" and not sc.reason:
        raise (top["status"]).error("a draft needs a `reason:` (what it waits for)")
    sc.lab = _lab(top.get("lab"), Path(file))
    if "settings" in top:
        sc.settings = _settings(top["settings"])
    if "steps" not in top:
        raise root.error("a scenario needs `steps:`", "steps")
    items = top["steps"].sequence()
    if not items:
        raise top["steps"].error("a scenario needs at least one step")
    sc.steps = [parse_step(item) for item in items]
    return sc


def _scalar(node: Node) -> Any:
    """The plain value of a scalar node; None for a mapping or a list."""
    return node.scalar() if isinstance(node.node, yaml.ScalarNode) else None


def _lab(node: Node | None, file: Path) -> LabFile:
    if node is None:
        return load_lab(DEFAULT_LAB)
    if isinstance(_scalar(node), str):
        name = node.text()
        if name == "default":
            return load_lab(DEFAULT_LAB)
        path = (file.parent / name) if not Path(name).is_absolute() else Path(name)
        if not path.exists():
            raise node.error(f"no lab file {path}")
        return load_lab(path)
    return parse_lab(node)


def _flag(node: Node) -> bool:
    value = node.scalar()
    if not isinstance(value, bool):
        raise node.error("expected true or false")
    return value


def _settings(node: Node) -> Settings:
    f = node.mapping({"network", "boot-phones", "time-scale", "timeout", "keep-going"})
    s = Settings()
    if "network" in f:
        s.network = _flag(f["network"])
    if "boot-phones" in f:
        s.boot_phones = _flag(f["boot-phones"])
    if "time-scale" in f:
        s.time_scale = float(f["time-scale"].number(0.001, 10))
    if "timeout" in f:
        s.timeout = float(f["timeout"].number(0.1, 3600))
    if "keep-going" in f:
        s.keep_going = _flag(f["keep-going"])
    return s


def parse_step(node: Node) -> Step:
    f = node.mapping(set(STEP_KINDS) | {"name"})
    kinds = [k for k in STEP_KINDS if k in f]
    if len(kinds) != 1:
        raise node.error("a step is one of: " + ", ".join(STEP_KINDS)
                         + (f" (this one has {', '.join(kinds)})" if kinds else ""))
    kind = kinds[0]
    step = Step(kind, node.line, f["name"].text() if "name" in f else "")
    body = f[kind]
    from cucme_lab.scenarios.outside_step import parse_outside

    step.args = {"cli": _cli, "phones": _phones, "wait": _wait, "expect": _expect,
                 "fault": _fault, "file": _file, "outside-server": parse_outside,
                 "login": parse_login}[kind](body)
    return step


def _cli(node: Node) -> dict:
    if isinstance(node.node, yaml.MappingNode):
        f = node.mapping({"lines", "priv"})
        if "lines" not in f:
            raise node.error("`cli:` needs `lines:`", f"{node.path}.lines")
        lines = f["lines"].lines()
        priv = int(f["priv"].number(0, 15)) if "priv" in f else 15
    else:
        lines, priv = node.lines(), 15
    if not lines:
        raise node.error("no lines to type")
    return {"lines": lines, "priv": priv}


def _file(node: Node) -> dict:
    """`file: {flash: NAME, text: ...}`: a file the administrator brings onto the router's flash."""
    f = node.mapping({"flash", "text"})
    if "flash" not in f:
        raise node.error("`file:` needs `flash:` (the file's name on flash)", f"{node.path}.flash")
    if "text" not in f:
        raise node.error("`file:` needs `text:` (the file's content)", f"{node.path}.text")
    name = f["flash"].text().removeprefix("flash:").lstrip("/")
    if not name:
        raise f["flash"].error("a file name on flash, e.g. Ringlist.xml")
    return {"flash": name, "text": "\n".join(f["text"].lines()) + "\n"}


def _which(node: Node) -> str:
    value = node.scalar()
    if isinstance(value, bool) or value is None:
        raise node.error("a phone: its position (1, 2, ...), its MAC, or all")
    text = str(value)
    if text == "all" or text.isdigit() or MAC.fullmatch(text) or \
            MAC.fullmatch(text.removeprefix("SEP")):
        if text.isdigit() and int(text) < 1:
            raise node.error("phone positions start at 1")
        return text.removeprefix("SEP")
    raise node.error("a phone: its position (1, 2, ...), its MAC, or all")


def duration(node: Node) -> float:
    """Seconds, as a number or text with a unit: `-3600`, `+2d`, `90m`, `1y`."""
    value = node.scalar()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    m = DURATION.fullmatch(str(value)) if isinstance(value, str) else None
    if m is None:
        raise node.error("expected seconds, or a number with a unit s, m, h, d or y")
    return float(m.group(1)) * UNITS[m.group(2)]


def _phones(node: Node) -> dict:
    f = node.mapping({"action", "phone", "digits", "file", "where", "byte", "offset", "time",
                      "mac", "model", "address", "line", "soft-key"})
    if "action" not in f:
        raise node.error("`phones:` needs an `action:` (" + ", ".join(PHONE_ACTIONS) + ")",
                         f"{node.path}.action")
    action = f["action"].choice(PHONE_ACTIONS)
    allowed = {"boot": set(), "power-off": set(), "power-cycle": set(), "factory-reset": set(),
               "erase-ctl": set(), "key-auth-string": {"digits"},
               "tamper": {"file", "where", "byte"}, "set-clock": {"offset", "time"},
               "add": {"mac", "model", "address"}, "dial": {"digits", "line"},
               "answer": {"line", "soft-key"}, "hang-up": {"line", "soft-key"},
               "transfer": {"digits", "line"}}[action] \
        | {"action", "phone"}
    for key in f:
        if key not in allowed:
            raise f[key].error(f"not a field of the `{action}` action")
    args: dict[str, Any] = {"action": action, "phone": _which(f["phone"]) if "phone" in f
                            else "all"}
    if action == "key-auth-string":
        if "digits" not in f:
            raise node.error("key-auth-string needs `digits:`", f"{node.path}.digits")
        digits = f["digits"].text()
        if not digits.isdigit():
            raise f["digits"].error("the phone's keypad types digits only")
        args["digits"] = digits
    if action == "transfer":  # Trnsfer (and the digits dialled after it), or Trnsfer again
        if args["phone"] == "all":
            raise (f["phone"] if "phone" in f else node).error("transfer acts on one phone")
        args["line"] = int(f["line"].number(1, 34)) if "line" in f else None
        args["digits"] = f["digits"].text() if "digits" in f else ""
        if any(d not in KEYPAD for d in args["digits"].upper()):
            raise f["digits"].error("keys of the phone's keypad only: 0-9, * and #")
    if action in ("dial", "answer", "hang-up"):
        if args["phone"] == "all":
            raise (f["phone"] if "phone" in f else node).error(
                f"{action} acts on one phone: give `phone:` (its position or MAC)")
        args["line"] = int(f["line"].number(1, 34)) if "line" in f else None
        args["soft-key"] = _flag(f["soft-key"]) if "soft-key" in f else False
    if action == "dial":
        if "digits" not in f:
            raise node.error("dial needs `digits:` (what the user keys in, e.g. \"7002\")",
                             f"{node.path}.digits")
        digits = f["digits"].text()
        if not digits or any(d not in KEYPAD for d in digits.upper()):
            raise f["digits"].error("keys of the phone's keypad only: 0-9, * and #")
        args["digits"] = digits
    if action == "tamper":
        args["where"] = f["where"].choice(("tftp", "phone")) if "where" in f else "tftp"
        args["file"] = f["file"].text() if "file" in f else ""
        if args["where"] == "tftp" and not args["file"] and args["phone"] == "all":
            raise node.error("tamper on tftp needs `file:` or one `phone:`")
        args["byte"] = int(f["byte"].number()) if "byte" in f else None
    if action == "set-clock":
        if ("offset" in f) == ("time" in f):
            raise node.error("set-clock needs one of `offset:` or `time:`")
        if "offset" in f:
            args["offset"] = duration(f["offset"])
        else:
            import datetime

            value = f["time"].scalar()
            try:
                when = value if isinstance(value, datetime.datetime) else \
                    datetime.datetime.fromisoformat(str(value))
            except ValueError:
                raise f["time"].error("expected a date and time, 2030-01-31 12:00:00") from None
            args["time"] = when if when.tzinfo else when.replace(tzinfo=datetime.UTC)
    if action == "add":
        if "mac" not in f:
            raise node.error("add needs `mac:`", f"{node.path}.mac")
        mac = f["mac"].text()
        if not MAC.fullmatch(mac):
            raise f["mac"].error("not a MAC address (H.H.H or 12 hex digits)")
        mdl = f["model"].choice(tuple(MODELS)) if "model" in f else "7970"
        address = f["address"].text() if "address" in f else ""
        if address:
            import ipaddress

            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                raise f["address"].error("not an IPv4 address") from None
        args["spec"] = PhoneSpec(mac, mdl, address)
    return args


def _wait(node: Node) -> dict:
    f = node.mapping({"seconds", "until", "timeout"})
    if ("seconds" in f) == ("until" in f):
        raise node.error("`wait:` takes `seconds:` or `until:` (an expectation) and `timeout:`")
    if "seconds" in f:
        return {"seconds": float(f["seconds"].number(0, 3600))}
    timeout = float(f["timeout"].number(0.01, 3600)) if "timeout" in f else DEFAULT_WAIT
    return {"until": _expect(f["until"]), "timeout": timeout}


# --- expectations -------------------------------------------------------------------------

TEXT_SUBJECTS = ("running-config", "startup-config", "syslog", "cli", "pstn", "collector")
EXPECT_SUBJECTS = ("phone", *TEXT_SUBJECTS, "flash", "tftp", "snmp", "audit")
AUDIT_FIELDS = {"present", "absent", "score-at-least"}


def _expect(node: Node) -> dict:
    f = node.mapping(None)
    subjects = [k for k in EXPECT_SUBJECTS if k in f]
    if len(subjects) != 1:
        unknown = [k for k in f if k not in EXPECT_SUBJECTS]
        if unknown and not subjects:
            raise SchemaError(node.file, f[unknown[0]].line, f[unknown[0]].path,
                              "unknown expectation (expected one of: "
                              + ", ".join(EXPECT_SUBJECTS) + ")")
        raise node.error("an expectation has one subject: " + ", ".join(EXPECT_SUBJECTS))
    subject = subjects[0]
    if subject == "phone":
        return _expect_phone(node)
    if subject == "snmp":
        return snmp_expect.parse(node)
    if subject == "audit":
        return _expect_audit(node.mapping({"audit"})["audit"])
    if subject in ("flash", "tftp"):
        g = node.mapping({subject, "exists"})
        return {"subject": subject, "file": g[subject].text(),
                "exists": _flag(g["exists"]) if "exists" in g else True}
    g = node.mapping({subject})
    body = g[subject]
    if subject == "cli":
        h = body.mapping({"command", "contains", "not-contains", "matches"}) \
            if isinstance(body.node, yaml.MappingNode) else None
        command = h["command"].text() if h is not None and "command" in h else None
        return {"subject": subject, "command": command, "text": text_check(body, {"command"})}
    return {"subject": subject, "text": text_check(body)}


def _expect_audit(node: Node) -> dict:
    """`audit: {present: [ids], absent: [ids], score-at-least: N}`: the security audit's
    findings (an id without `/` stands for every finding of that check) and score."""
    f = node.mapping(AUDIT_FIELDS)
    out: dict[str, Any] = {"subject": "audit", "present": (), "absent": (), "score": None}
    for key in ("present", "absent"):
        if key in f:
            n = f[key]
            items = n.sequence() if isinstance(n.node, yaml.SequenceNode) else [n]
            out[key] = tuple(i.text() for i in items)
    if "score-at-least" in f:
        out["score"] = int(f["score-at-least"].number(0, 100))
    if not (out["present"] or out["absent"] or out["score"] is not None):
        raise node.error("say what to expect of the audit: " + ", ".join(sorted(AUDIT_FIELDS)))
    return out


def text_check(node: Node, extra: set[str] = frozenset()) -> TextCheck:
    """A text, or {contains, not-contains, matches} (each a text or a list of texts)."""
    if not isinstance(node.node, yaml.MappingNode):
        return TextCheck(contains=(_block(node),))
    f = node.mapping({"contains", "not-contains", "matches"} | set(extra))

    def many(key: str) -> tuple[str, ...]:
        if key not in f:
            return ()
        n = f[key]
        items = n.sequence() if not isinstance(_scalar(n), str) and \
            not isinstance(n.node, yaml.MappingNode) else [n]
        return tuple(_block(i) for i in items)

    check = TextCheck(many("contains"), many("not-contains"), many("matches"))
    for pattern in check.matches:
        try:
            re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            raise f["matches"].error(f"not a regular expression: {exc}") from None
    if not (check.contains or check.absent or check.matches):
        raise node.error("give `contains:`, `not-contains:` or `matches:`")
    return check


def _block(node: Node) -> str:
    text = node.text()
    return text[:-1] if text.endswith("\n") and text.count("\n") == 1 else text


PHONE_FIELDS = {"phone", "state", "security", "status", "last-status", "lsc", "mic",
                "trust-list", "hardening", "web-page", "call"}


def _expect_phone(node: Node) -> dict:
    f = node.mapping(PHONE_FIELDS)
    out: dict[str, Any] = {"subject": "phone", "phone": _which(f["phone"])}
    if "state" in f:
        out["state"] = f["state"].choice(PHONE_STATES)
    if "security" in f:
        out["security"] = f["security"].choice(SECURITY_MODES)
    if "status" in f:
        out["status"] = f["status"].text()
    if "last-status" in f:
        out["last-status"] = f["last-status"].text()
    for kind in ("lsc", "mic"):
        if kind in f:
            n = f[kind]
            if _scalar(n) in ("none", False):
                out[kind] = None
            else:
                g = n.mapping({"issuer", "subject", "key-size"})
                out[kind] = {"issuer": g["issuer"].text() if "issuer" in g else None,
                             "subject": g["subject"].text() if "subject" in g else None,
                             "key-size": int(g["key-size"].choice(("512", "1024", "2048",
                                                                   "4096")))
                             if "key-size" in g else None}
    if "trust-list" in f:
        out["trust-list"] = f["trust-list"].choice(("installed", "none"))
    if "hardening" in f:
        g = f["hardening"].mapping(set(HARDENING))
        out["hardening"] = {k: g[k].choice(HARDENING_VALUES) for k in g}
    if "web-page" in f:
        out["web-page"] = f["web-page"].choice(("open", "closed"))
    if "call" in f:
        out["call"] = _expect_call(f["call"])
    if len(out) == 2:
        raise node.error("say what to expect of the phone: " +
                         ", ".join(sorted(PHONE_FIELDS - {"phone"})))
    return out


def _expect_call(node: Node) -> dict | None:
    """`call: none` (no call), or what to expect of the phone's call (on `line`, else its
    first): state, other party, security, icon and media."""
    if _scalar(node) in ("none", False):
        return None
    f = node.mapping(CALL_FIELDS)
    out: dict[str, Any] = {}
    if "line" in f:
        out["line"] = int(f["line"].number(1, 34))
    if "state" in f:
        out["state"] = f["state"].choice(CALL_STATES)
    if "other" in f:
        out["other"] = f["other"].text()
    if "prompt" in f:  # the text the phone's prompt line shows
        out["prompt"] = f["prompt"].text()
    if "security" in f:
        out["security"] = f["security"].choice(SECURITY_MODES)
    if "icon" in f:
        out["icon"] = f["icon"].choice(CALL_ICONS)
    if "media" in f:
        g = f["media"].mapping(MEDIA_FIELDS)
        media: dict[str, Any] = {}
        for key in ("flowing", "srtp"):
            if key in g:
                media[key] = _flag(g[key])
        if "auth-failures" in g:
            media["auth-failures"] = int(g["auth-failures"].number(0, 10**9))
        if "signal" in g:
            media["signal"] = g["signal"].choice(("ok", "not-ok"))
        if not media:
            raise f["media"].error("say what to expect of the media: "
                                   + ", ".join(sorted(MEDIA_FIELDS)))
        out["media"] = media
    if not out or set(out) == {"line"}:
        raise node.error("say what to expect of the call: "
                         + ", ".join(sorted(CALL_FIELDS - {"line"})) + " (or `call: none`)")
    return out


def _fault(node: Node) -> dict:
    f = node.mapping({"stop-service", "drop-traffic", "skew-clock", "unset-clock", "clear"})
    kinds = [k for k in ("stop-service", "drop-traffic", "skew-clock", "unset-clock") if k in f]
    if len(kinds) != 1:
        raise node.error("a fault is one of: stop-service, drop-traffic, skew-clock, "
                         "unset-clock")
    kind = kinds[0]
    clear = _flag(f["clear"]) if "clear" in f else False
    if clear and kind not in ("stop-service", "drop-traffic"):
        raise f["clear"].error(f"{kind} cannot be cleared (skew the clock back instead)")
    if kind == "stop-service":
        return {"fault": kind, "service": f[kind].choice(SERVICES), "clear": clear}
    if kind == "drop-traffic":
        return {"fault": kind, "phone": _which(f[kind]), "clear": clear}
    if kind == "skew-clock":
        return {"fault": kind, "seconds": duration(f[kind])}
    if not _flag(f[kind]):
        raise f[kind].error("unset-clock: true")
    return {"fault": kind}


# --- describing steps (the timeline) ------------------------------------------------------

def _short(text: str, width: int = 48) -> str:
    one = text.strip().replace("\n", "\\n")
    return one if len(one) <= width else one[:width - 3] + "..."


def describe_text(check: TextCheck) -> str:
    parts = [f'contains "{_short(t)}"' for t in check.contains]
    parts += [f'has no "{_short(t)}"' for t in check.absent]
    parts += [f"matches /{_short(t)}/" for t in check.matches]
    return ", ".join(parts)


def describe_expect(args: dict) -> str:
    subject = args["subject"]
    if subject == "phone":
        what = [f"{k} {_describe_call(v) if k == 'call' else v}" for k, v in args.items()
                if k not in ("subject", "phone")]
        return f"phone {args['phone']}: " + ", ".join(str(w) for w in what)
    if subject in ("flash", "tftp"):
        return f"{subject}:{args['file']} {'exists' if args['exists'] else 'is absent'}"
    if subject == "snmp":
        return snmp_expect.describe(args)
    if subject == "audit":
        parts = [f"has {i}" for i in args["present"]] + [f"has no {i}" for i in args["absent"]]
        parts += [f"score >= {args['score']}"] if args["score"] is not None else []
        return "audit " + ", ".join(parts)
    if subject == "cli" and args.get("command"):
        return f"`{args['command']}` {describe_text(args['text'])}"
    return f"{subject} {describe_text(args['text'])}"


def _describe_call(call: dict | None) -> str:
    if call is None:
        return "none"
    parts = [f"{k} {v}" for k, v in call.items() if k != "media"]
    parts += [f"media {k} {v}" for k, v in call.get("media", {}).items()]
    return "(" + ", ".join(parts) + ")"


def describe(step: Step) -> str:
    a = step.args
    if step.kind == "cli":
        first = next((x.strip() for x in a["lines"] if x.strip()), "")
        return f"cli: {len(a['lines'])} line(s), from `{_short(first, 40)}`"
    if step.kind == "phones":
        extra = ""
        if a["action"] == "key-auth-string":
            extra = f" {a['digits']}"
        elif a["action"] == "tamper":
            extra = f" {a['where']}:{a['file'] or 'configuration file'}"
        elif a["action"] == "add":
            extra = f" {a['spec'].mac}"
        elif a["action"] == "dial":
            extra = f" {a['digits']}"
        return f"phones: {a['action']} {a['phone']}{extra}"
    if step.kind == "wait":
        if "seconds" in a:
            return f"wait {a['seconds']:g}s"
        return f"wait up to {a['timeout']:g}s until {describe_expect(a['until'])}"
    if step.kind == "expect":
        return "expect " + describe_expect(a)
    if step.kind == "file":
        return f"file: flash:{a['flash']} ({len(a['text'].encode())} bytes)"
    if step.kind == "outside-server":
        from cucme_lab.scenarios.outside_step import describe_outside

        return describe_outside(a)
    if step.kind == "login":
        return describe_login(a)
    detail = {"stop-service": a.get("service"), "drop-traffic": f"phone {a.get('phone')}",
              "skew-clock": f"{a.get('seconds', 0):+g}s", "unset-clock": ""}[a["fault"]]
    return f"fault: {'clear ' if a.get('clear') else ''}{a['fault']} {detail}".rstrip()
