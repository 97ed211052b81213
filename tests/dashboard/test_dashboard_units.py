"""The dashboard's parts without a browser: coalescing, slow clients, panels, request checks."""

from __future__ import annotations

import json

import pytest
import trio

from cucme_lab.lab.dashboard.hub import DashboardHub, TooManyStreams
from cucme_lab.lab.dashboard.panels import NOT_AVAILABLE, GuidedReader, audit_panel
from cucme_lab.lab.dashboard.requests import Refused, control_line
from cucme_lab.lab.dashboard.view import explanation, rollout, severity


async def test_a_slow_stream_is_dropped_not_buffered(runtime):
    hub = DashboardHub(runtime, queue=4)
    _, receive, send = hub.open_stream()
    for i in range(10):  # nobody reads: the queue fills, then the stream is dropped
        runtime.router.log.log(f"%SYS-5-CONFIG_I: Configured from console by vty{i}")
        hub.tick()
    assert hub.dropped == 1 and hub.streams == 0
    received = []
    with pytest.raises(trio.EndOfChannel):
        while True:
            received.append(receive.receive_nowait())
    assert len(received) == 4  # what fitted in its queue, no more


async def test_many_changes_become_one_update(runtime):
    hub = DashboardHub(runtime)
    _, receive, _ = hub.open_stream()
    for i in range(200):
        runtime.router.log.log(f"%SYS-5-CONFIG_I: Configured from console by vty{i}")
    hub.tick()
    event = receive.receive_nowait()
    data = json.loads(event.split(b"data: ", 1)[1])
    assert [line for _, line in data["log"]][-1].endswith("by vty199")
    assert len(data["log"]) >= 200
    with pytest.raises(trio.WouldBlock):
        receive.receive_nowait()
    hub.tick()  # nothing changed since: nothing is sent
    with pytest.raises(trio.WouldBlock):
        receive.receive_nowait()


async def test_stream_cap(runtime):
    hub = DashboardHub(runtime, max_streams=2)
    hub.open_stream()
    hub.open_stream()
    with pytest.raises(TooManyStreams):
        hub.open_stream()
    assert hub.refused == 1


def test_audit_panel_with_a_stand_in_auditor():
    report = {"score": 40, "findings": [
        {"id": "grant-auto", "severity": "high", "document": "NSA", "section": "3.2",
         "title": "grant auto left on", "why": "any request is signed",
         "fix": ["crypto pki server CAServer", " no grant auto"]}]}
    panel = audit_panel(object(), lambda router: report)
    assert panel == {"available": True, "score": 40, "findings": report["findings"]}


def test_audit_panel_without_the_audit_or_with_a_failing_one():
    assert audit_panel(object(), None) == {"available": False, "reason": NOT_AVAILABLE}

    def broken(router):
        raise RuntimeError("boom")

    panel = audit_panel(object(), broken)
    assert panel["available"] is False and "boom" in panel["reason"]


def test_guided_progress_comes_from_the_manifest(tmp_path):
    guided = {"title": "NSA global rollout", "percent": 50, "time_limit": 1800,
              "elapsed": 12.5, "objectives": [
                  {"id": "ctl", "text": "Regenerate the CTL", "done": False,
                   "hint": "regenerate in ctl-client"}]}
    (tmp_path / "lab.json").write_text(json.dumps({"guided": guided}))

    class Plain:
        pass

    assert GuidedReader(Plain(), tmp_path, interval=0).read() == guided
    live = Plain()
    live.guided = {**guided, "percent": 100}
    assert GuidedReader(live, tmp_path).read()["percent"] == 100
    (tmp_path / "lab.json").write_text("{}")
    assert GuidedReader(Plain(), tmp_path).read() is None


def test_severity_and_rollout_counts():
    assert severity("*Mar  1 00:00:01.123: %IPPHONE-6-REGISTER: ephone-1 ...") == 6
    assert severity("*Mar  1 00:00:01.123: EPHONE: debug text") is None
    phones = {
        "SEPA": {"stage": "registered", "mode": "encrypted",
                 "registration": {"security": "encrypted"}},
        "SEPB": {"stage": "registered", "mode": "encrypted",
                 "registration": {"security": "none"}},
        "SEPC": {"stage": "failed", "mode": "none", "registration": None},
        "SEPD": {"stage": "not registered", "mode": "none", "registration": None},
    }
    r = rollout(phones)
    assert r["total"] == 4 and r["done"] == 1 and r["secure"] == 1 and r["percent"] == 25
    assert r["stages"] == {"registered": 2, "failed": 1, "not registered": 1}


async def test_failed_phone_explained_by_its_router_log_lines(runtime):
    p = runtime.phone(1)
    lines = ["*Mar  1 00:00:01: %IPPHONE-6-REG_ALARM: 23: Name=SEPCAFECAFE1234 Load= Last=TLS",
             "*Mar  1 00:00:02: %SYS-5-CONFIG_I: Configured from console by console",
             f"*Mar  1 00:00:03: %CAPF-3-ERROR: {p.network.address} failed"]
    neighbour = f"*Mar  1 00:00:04: %IPPHONE-6-REGISTER: ephone-9 IP:{p.network.address}1 Socket:9"
    assert explanation(p, [*lines, neighbour]) == [lines[0], lines[2]]


async def test_requests_are_checked_before_anything_runs(runtime):
    assert control_line(runtime, "SEPCAFECAFE1234", "dial", b'{"digits": "7002"}') == \
        "dial CAFECAFE1234 7002"
    assert control_line(runtime, "cafe.cafe.1234", "power-cycle", b"") == \
        "power-cycle CAFECAFE1234"
    with pytest.raises(Refused) as refused:
        control_line(runtime, "SEP111111111111", "answer", b"")
    assert refused.value.status == 404



def test_the_page_needs_nothing_from_outside_and_ships_as_package_data():
    import re
    import tomllib
    from pathlib import Path

    from cucme_lab.lab.dashboard.app import STATIC

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["package-data"]["cucme_lab.lab.dashboard"] == \
        ["static/*"]
    static = Path(str(STATIC))
    for name in ("index.html", "dashboard.js", "dashboard.css"):
        text = (static / name).read_text()
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), name
    for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"',
                          (static / "index.html").read_text()):
        assert (static / ref.removeprefix("/static/")).is_file(), ref


def test_call_control_tells_its_listeners_of_each_event():
    """The router's call control is the only one that sees the calls of phones simulated in
    other processes: each phone event it handles is told to its listeners (the dashboard)."""
    from cucme_lab.router.telephony.calls import CallControl

    class Gone:  # a phone whose connection ended with no call up
        legs: dict = {}

    calls, heard = CallControl(), []
    calls.listeners.append(lambda: heard.append(len(calls.calls)))
    calls.station_gone(Gone())
    assert heard == [0]


async def test_the_hub_listens_to_the_calls_while_attached(runtime):
    hub = DashboardHub(runtime)
    listeners = runtime.router.phones.calls.listeners
    hub.attach()
    assert hub.poke in listeners
    before = hub.events
    for poke in listeners:
        poke()
    assert hub.events == before + 1
    hub.detach()
    assert hub.poke not in listeners
