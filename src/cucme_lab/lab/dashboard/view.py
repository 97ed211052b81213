"""The running lab read into the JSON the page draws: topology, phones, calls, rollout, log.

Pure reads of the router, its services and the lab's phones, run on the lab's event loop between
two of its steps, so every read sees one consistent state. Phones are keyed by device name
(SEP<MAC>): a configured ephone, a registration and a simulated phone of the lab's fleet with
the same MAC are one phone, drawn from what each of them knows.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Reversible
from ipaddress import IPv4Address
from typing import Any

from cucme_lab.lab.runtime import LabRuntime
from cucme_lab.phones.calls import ICONS
from cucme_lab.phones.phone import Phone
from cucme_lab.router.config.interfaces import Interface, interfaces
from cucme_lab.router.telephony.calls import security_name
from cucme_lab.router.telephony.registrations import Registration
from cucme_lab.router.telephony.settings import (
    Ephone,
    TelephonyService,
    effective_security_mode,
    ephones,
    telephony_service,
)

# What a phone's screen says when a step failed (phones/phone.py and phones/registration.py)
FAILURE_MARKS = ("Failed", "Error", "Not Updated", "cannot register", "No CallManager",
                 "Operation Failed", "Rejected", "could not", "not found")
EXPLANATION_LINES = 6  # router log lines shown beside a failed phone's status
EXPLANATION_SCAN = 1000  # newest router log lines searched for them
MESSAGES_SHOWN = 8  # a phone's newest Status Messages on its card
STAGES = ("off", "booting", "configuring", "waiting-auth-string", "enrolling", "registering",
          "registered", "failed", "not registered")
_SEVERITY = re.compile(r"%[A-Z0-9_]+-(\d)-")


def severity(line: str) -> int | None:
    """The syslog severity of a `%FAC-SEV-MNEMONIC` line (None for a debug line without one)."""
    m = _SEVERITY.search(line)
    return int(m.group(1)) if m else None


def interface_view(runtime: LabRuntime) -> list[dict[str, Any]]:
    """The router's interfaces with their state (changes only with the configuration)."""
    return [_interface(i) for i in interfaces(runtime.router.config)]


def topology(runtime: LabRuntime, ifaces: list[dict[str, Any]] | None = None
             ) -> dict[str, Any]:
    """The router's interfaces with their state, and its services with theirs."""
    router = runtime.router
    if ifaces is None:
        ifaces = interface_view(runtime)
    services = []
    manager = runtime.lab.services
    for binding, running in (list(manager.running.items()) if manager else []):
        entry = running.entry
        if binding.transport == "none":  # a task without a socket (the enrolment poller)
            state = "running"
        else:
            state = "listening" if entry is not None else "starting"
        services.append({"name": binding.service, "address": binding.configured_address,
                         "port": binding.configured_port, "transport": binding.transport,
                         "state": state,
                         "bound": f"{entry.bound_address}:{entry.bound_port}" if entry else "",
                         "restarts": running.restarts})
    services.sort(key=lambda s: (s["name"], s["address"], s["port"]))
    return {"hostname": router.hostname, "interfaces": ifaces, "services": services}


def _interface(i: Interface) -> dict[str, Any]:
    address = i.address
    state = "administratively down" if i.shutdown else ("up" if address else "unassigned")
    return {"name": i.name, "address": str(address) if address else "",
            "state": state}


def _vlan_of(address: str, ifaces: list[Interface]) -> str:
    """The interface whose subnet holds the phone's configured address (its voice VLAN)."""
    try:
        ip = IPv4Address(address)
    except ValueError:
        return ""
    for i in ifaces:
        if i.address is not None and ip in i.address.network:
            return i.name
    return ""


def configured_phones(runtime: LabRuntime) -> dict[str, dict[str, Any]]:
    """The configured ephones, by device name: changes only with the configuration, so the
    hub keeps it until the next configuration change."""
    config = runtime.router.config
    ts = telephony_service(config)
    return {ep.device_name: _configured(ep, config, ts) for ep in ephones(config)
            if ep.device_name is not None}


def phones(runtime: LabRuntime, configured: dict[str, dict[str, Any]] | None = None
           ) -> dict[str, dict[str, Any]]:
    """Every phone the lab knows of, by device name."""
    router = runtime.router
    if configured is None:
        configured = configured_phones(runtime)
    registered = {r.device_name: r for r in router.phones.registrations.values()}
    out = {name: dict(entry) for name, entry in configured.items()}
    for name in registered:
        if name not in out:
            out[name] = {"device": name, "ephone": None, "mode": "none", "model": ""}
    simulated = runtime.phones
    ifaces = [i for i in router.config.children.values() if isinstance(i, Interface)] \
        if simulated else []
    for p in simulated:
        entry = out.setdefault(p.device_name, {"device": p.device_name, "ephone": None,
                                               "mode": "none"})
        entry.update(_simulated(p, ifaces, router.log.lines))
    for name, entry in out.items():
        reg = registered.get(name)
        entry["registration"] = _registration(reg) if reg is not None else None
        if not entry.get("simulated"):
            entry["stage"] = "registered" if reg is not None else "not registered"
    return out


def _configured(ep: Ephone, config, ts: TelephonyService | None) -> dict[str, Any]:
    return {"device": ep.device_name, "ephone": ep.tag, "model": ep.type or "",
            "mode": str(effective_security_mode(config, ep, ts)),
            "cert_oper": ep.cert_oper.operation if ep.cert_oper is not None else ""}


def _registration(reg: Registration) -> dict[str, Any]:
    return {"tag": reg.tag, "address": reg.ip, "transport": reg.transport,
            "security": reg.security_mode, "cipher": reg.cipher or ""}


def _simulated(p: Phone, ifaces: list[Interface], log_lines: Reversible[str]
               ) -> dict[str, Any]:
    """A phone of the lab's fleet, as its screen and its flash show it."""
    status = p.last_status
    failed = p.state == "rejected" or any(mark in status for mark in FAILURE_MARKS)
    client = p.registration
    stats = client.line_stats if client is not None else {}
    a = p.applied
    hardening = {"web access": a.web_access, "settings access": a.settings_access,
                 "PC port": a.pc_port, "span to PC port": a.span_to_pc_port,
                 "voice VLAN access": a.voice_vlan_access, "GARP": a.garp,
                 "speaker": a.speaker, "headset": a.headset}
    flash = _flash_facts(p)
    calls = p.calls
    icon = next((c.icon for c in calls if c.icon), "")
    return {
        "simulated": True, "mac": p.mac, "model": p.model.name, "address": p.network.address,
        "vlan": _vlan_of(p.network.address, ifaces), "state": p.state,
        "security": p.security, "status": status, "messages": p.messages[-MESSAGES_SHOWN:],
        "lines": [{"line": n, "number": stats[n].dir_number} for n in sorted(stats)],
        "calls": [_call(c) for c in calls], "icon": icon,
        **flash,
        "hardening": hardening, "failed": failed,
        "stage": "failed" if failed else p.state,
        "explanation": explanation(p, log_lines) if failed else [],
    }


_flash: weakref.WeakKeyDictionary[Phone, tuple[int, dict[str, Any]]] = \
    weakref.WeakKeyDictionary()


def _flash_facts(p: Phone) -> dict[str, Any]:
    """Trust list and certificate, read from the phone's flash once per change of the phone
    (its flash changes only in a step that also changes its state or status)."""
    cached = _flash.get(p)
    if cached is not None and cached[0] == p.changes:
        return cached[1]
    lsc, mic = p.storage.lsc, p.storage.mic
    pair = lsc or mic
    facts = {"trust_list": p.storage.ctl is not None,
             "certificate": "LSC" if lsc is not None else ("MIC" if mic is not None else "none"),
             "issuer": pair[0].issuer.rfc4514_string() if pair is not None else ""}
    _flash[p] = (p.changes, facts)
    return facts


def _call(c) -> dict[str, Any]:
    summary = c.summary()
    summary.update({"icon": c.icon, "name": c.other_name, "prompt": c.prompt,
                    "srtp": bool(c.media is not None and c.media.counters.srtp)})
    return summary


def explanation(p: Phone, log_lines: Reversible[str]) -> list[str]:
    """The router's log lines about this phone: its device name, MAC or address (configured, or
    the loopback address the router saw it from) in them, as whole words (1.2.3.3 is not in
    1.2.3.31). The newest `EXPLANATION_SCAN` lines are searched, newest first."""
    mac = p.mac
    pattern = _marks_pattern((p.device_name, f"{mac[0:4]}.{mac[4:8]}.{mac[8:12]}",
                              p.network.address, p.network.local_address))
    found: list[str] = []
    for scanned, line in enumerate(reversed(log_lines)):
        if scanned >= EXPLANATION_SCAN or len(found) >= EXPLANATION_LINES:
            break
        if pattern.search(line):
            found.append(line)
    return found[::-1]


@functools.lru_cache(maxsize=256)
def _marks_pattern(marks: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?<![\w.]){re.escape(m)}(?![\w]|\.\d)" for m in marks if m),
                      re.IGNORECASE)


def calls(phone_view: dict[str, dict[str, Any]], router: Any = None
          ) -> list[dict[str, Any]]:
    """Every call on the lab's phones, with its security, from the phones' screens; and, from
    the router's call control, the calls of registered phones this lab does not simulate (a
    `cucme-phones` fleet in other processes), whose media the router does not see."""
    out = [{"device": name, **c} for name, entry in phone_view.items()
           for c in entry.get("calls", ())]
    if router is None:
        return out
    for call in router.phones.calls.calls.values():
        for leg in (call.caller, call.called):
            reg = getattr(leg.station, "reg", None)  # a voice port has none
            if reg is None or phone_view.get(reg.device_name, {}).get("simulated"):
                continue
            other = call.other(leg)
            security = security_name(call.security)  # the words the phones' screens use
            out.append({"device": reg.device_name, "line": leg.line, "state": str(leg.state),
                        "other": other.number, "name": other.name, "security": security,
                        "icon": ICONS.get(security, ""), "media": None, "srtp": call.keys})
    return out


def rollout(phone_view: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Counts per stage and how far the fleet is: registered in the mode its ephone asks for."""
    stages = dict.fromkeys(STAGES, 0)
    done = secure = 0
    for entry in phone_view.values():
        stage = entry.get("stage", "not registered")
        stages[stage] = stages.get(stage, 0) + 1
        reg = entry.get("registration")
        if reg is None:
            continue
        if reg["security"] != "none":
            secure += 1
        if reg["security"] == entry.get("mode", "none") or entry.get("mode") == "none":
            done += 1
    total = len(phone_view)
    return {"total": total, "stages": {k: v for k, v in stages.items() if v}, "done": done,
            "secure": secure, "percent": round(100 * done / total) if total else 0}
