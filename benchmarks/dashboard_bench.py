"""The dashboard during a secure rollout of 1,000 phones, watched by a real headless Chromium.

Printed, from the same run:
  - dashboard updates per second (sent by the lab, applied by the page) beside the lab's own
    event rate (router log lines, configuration changes and phone steps the hub was told of):
    the hub coalesces, so updates stay near 1/interval however fast the lab goes;
  - each update's render time in the browser (target under 100 ms): the page applies an
    update in slices across animation frames, and its render time is the longest frame that
    worked on it (DOM changes and the layout they cause), beside a floor: one forced layout of
    the page with no change; and its total, from its arrival until the page reflects it fully;
  - the hub's CPU (reading the lab and encoding updates) beside the router process's CPU;
  - the floor for all of the lab's own figures: the same rollout run first without the
    dashboard (wall time, router CPU, event-loop lag, log lines per second).
The rollout is benchmarks/rollout_bench.py's (CTL, signed files, CAPF, TLS registration) of
1,000 ephones: 997 phones in two `cucme-phones` worker processes and three of the lab itself,
drawn as screens on the page, plus a fourth lab phone with no ephone, whose failure the page
explains.
`--screenshot FILE` saves the page as a PNG during the rollout (README's picture), taken when
the page shows the fleet nearest `--at PERCENT` registered (default 50); `--no-floor` skips the
rollout without the dashboard.
Run: python benchmarks/dashboard_bench.py [phones] [--screenshot docs/dashboard.png] [--at 50]
     [--no-floor]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

import trio

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "phones")]

from dashboard.browser import chromium_started  # noqa: E402
from phone_steps import type_lines  # noqa: E402
from procedures import fleet_security as security  # noqa: E402
from procedures import fleet_startup as startup  # noqa: E402

from cucme_lab.lab.dashboard.server import open_dashboard  # noqa: E402
from cucme_lab.lab.labfile import LabFile  # noqa: E402
from cucme_lab.lab.runtime import run_lab  # noqa: E402
from cucme_lab.netio.runtime import tune_for_many_connections  # noqa: E402
from cucme_lab.phones.fleet import PhoneSpec  # noqa: E402

LAB_PHONES = ["0000.0000.F001", "0000.0000.F002", "0000.0000.F003", "0000.0000.F004"]
STATS = "return window.dashboardStats"
FRAMES_SCRIPT = """
const done = arguments[arguments.length - 1];
requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
"""
FLOOR_SCRIPT = """
const times = [];
for (let i = 0; i < 30; i++) { const t = performance.now(); void document.body.offsetHeight;
  document.body.classList.toggle('x'); void document.body.offsetHeight;
  times.push(performance.now() - t); }
times.sort((a, b) => a - b); return times[15];
"""


def lab_file(phones: int) -> LabFile:
    """`phones` ephones (CME's most): the last three for three of the lab's own phones, with a
    line each; the fourth lab phone has no ephone."""
    lines = startup(phones).splitlines()
    for k, mac in enumerate(LAB_PHONES[:3], start=1):
        at = lines.index(f"ephone {phones - 3 + k}")
        lines[at + 1:at + 2] = [f" mac-address {mac}", f" button 1:{k}"]
    at = lines.index("ephone 1")
    lines[at:at] = [f"ephone-dn {k}\n number 500{k}" for k in (1, 2, 3)]
    # on a /24 of their own in Vlan20's /16: the fleet takes addresses from 1.2.3.21 up
    specs = [PhoneSpec(mac, "7970", f"1.2.200.{31 + i}") for i, mac in enumerate(LAB_PHONES)]
    return LabFile("dashboard", specs, "\n".join(lines) + "\n")


async def _call_between_lab_phones(runtime) -> None:
    """The lab's first two phones in an encrypted call, for the page's calls and lock icons."""
    caller, callee = runtime.phones[0], runtime.phones[1]
    with trio.move_on_after(120):
        for p in (caller, callee):
            await p.wait_until(lambda q: q.state == "registered", 120)
        await caller.dial("5002")
        await callee.wait_until(lambda q: any(c.state == "ringin" for c in q.calls), 20)
        await callee.answer()


async def run(phones: int, screenshot: Path | None, dashboard: bool = True,
              at: float = 50.0) -> dict:
    """One rollout; with `dashboard`, the page open in Chromium all along."""
    with tempfile.TemporaryDirectory() as tmp:
        lab_dir = Path(tmp) / "lab"
        async with AsyncExitStack() as stack:
            runtime = await stack.enter_async_context(
                run_lab(lab_dir, lab_file(phones), boot_phones=False))
            out = await type_lines(runtime.router, ["enable", "configure terminal",
                                                    *security(1024).splitlines(), "end"])
            assert "% Invalid" not in out, out
            await runtime.lab.service("capf")
            await runtime.lab.service("sccp-tls")
            await trio.sleep(0.5)  # the TFTP process takes the new file table
            page: dict = {}
            dash = driver = None
            if dashboard:
                driver = await stack.enter_async_context(chromium_started(1400, 1100))
                dash = await stack.enter_async_context(open_dashboard(runtime))
                page = await _open_page(driver, dash.url)
                hub = dash.hub
                before = (hub.events, hub.updates, hub.build_seconds)
            logged0, cpu0 = runtime.router.log.logged, time.process_time()
            for p in runtime.phones:
                runtime.fleet.power_on(p)
            report = Path(tmp) / "fleet.json"
            start = time.perf_counter()
            shot: dict = {}
            lag: list[float] = []
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_call_between_lab_phones, runtime)
                nursery.start_soon(_loop_lag, lag)
                if screenshot is not None and driver is not None:
                    nursery.start_soon(_screenshot_during, driver, screenshot, shot, at)
                await trio.run_process(
                    [sys.executable, "-m", "cucme_lab.lab.fleet_cli", "--lab", str(lab_dir),
                     "-n", str(phones - 3), "--mac-start", "0000.0000.1001", "--processes", "2",
                     "--quiet", "--timeout", "900", "--json", str(report)],
                    capture_stdout=True, check=False)
                wall = time.perf_counter() - start
                if dashboard:
                    await trio.sleep(1.0)  # the last updates reach the page
                nursery.cancel_scope.cancel()
            fleet = json.loads(report.read_text())["phones"]
            result = {"wall": wall, "lag": lag, "router_cpu": time.process_time() - cpu0,
                      "log_lines": runtime.router.log.logged - logged0,
                      "lab_encrypted": sum(1 for p in runtime.phones
                                           if p.security == "encrypted"),
                      "encrypted": sum(1 for p in fleet if p["security"] == "encrypted")}
            if dashboard:
                stats = await trio.to_thread.run_sync(driver.execute_script, STATS)
                result.update(events=hub.events - before[0], updates=hub.updates - before[1],
                              hub_cpu=hub.build_seconds - before[2], applied=stats["updates"],
                              render=stats["renderMs"], total=stats["totalMs"],
                              frames=stats["frameMs"], frame_sizes=stats["frameSizes"],
                              latency=stats["latencyMs"],
                              pending=stats["pendingMs"], sizes=stats["sizes"],
                              dropped=hub.dropped, frames_by=stats["framesBy"], shot=shot,
                              floor_ms=page["floor_ms"])
            return result


async def _open_page(driver, url: str) -> dict:
    """Load the page, wait for its snapshot, measure the floor, reset the page's counters."""
    await trio.to_thread.run_sync(driver.get, url)
    with trio.fail_after(30):
        while (await trio.to_thread.run_sync(driver.execute_script, STATS))["snapshots"] < 1:
            await trio.sleep(0.1)
    floor_ms = await trio.to_thread.run_sync(driver.execute_script, FLOOR_SCRIPT)
    await trio.to_thread.run_sync(driver.execute_script,
                                  "window.dashboardStats.renderMs = [];"
                                  "window.dashboardStats.totalMs = [];"
                                  "window.dashboardStats.frameMs = [];"
                                  "window.dashboardStats.frameSizes = [];"
                                  "window.dashboardStats.framesBy = {frame: 0, timer: 0};"
                                  "window.dashboardStats.latencyMs = [];"
                                  "window.dashboardStats.pendingMs = [];"
                                  "window.dashboardStats.sizes = [];"
                                  "window.dashboardStats.updates = 0;")
    return {"floor_ms": floor_ms}


async def _loop_lag(lag: list[float]) -> None:
    """How late the router's event loop wakes a 50 ms sleeper: what every task waits too."""
    while True:
        start = trio.current_time()
        await trio.sleep(0.05)
        lag.append(trio.current_time() - start - 0.05)


async def _screenshot_during(driver, path: Path, shot: dict, at: float) -> None:
    """The page as the rollout goes: a picture whenever the page shows the fleet nearer `at`
    percent registered than the last one, within 20 points of it, until it reaches `at` (the
    page may jump past any one point when the lab is busy)."""
    shown = "return parseFloat(document.getElementById('rollout-bar').style.width) || 0"
    best: float | None = None
    path.parent.mkdir(parents=True, exist_ok=True)
    start = trio.current_time()
    seen = shot.setdefault("seen", [])  # (seconds, percent) at each change the poll saw
    while best is None or best < at:
        await trio.sleep(0.2)
        percent = await trio.to_thread.run_sync(driver.execute_script, shown)
        if not seen or seen[-1][1] != percent:
            seen.append((trio.current_time() - start, percent))
        if abs(percent - at) > 20 or (best is not None and abs(percent - at) >= abs(best - at)):
            if best is None and percent > at + 20:
                return  # gone past: no picture rather than the wrong one
            continue
        # two animation frames: the update the page applied is painted before the capture
        await trio.to_thread.run_sync(driver.execute_async_script, FRAMES_SCRIPT)
        await trio.to_thread.run_sync(driver.save_screenshot, str(path))
        best = percent
        shot.update(path=str(path), percent=percent)


def _lag(r: dict) -> str:
    lag = r["lag"] or [0.0]
    stalled = sum(x for x in lag if x > 0.1)  # wakes more than 100 ms late
    return (f"median {1000 * statistics.median(lag):.0f} ms, max {1000 * max(lag):.0f} ms, "
            f"stalled {stalled:.1f} s of {r['wall']:.1f} s")


def main() -> None:
    argv = sys.argv[1:]
    options = {"--screenshot": None, "--at": "50"}
    for name in options:
        if name in argv:
            i = argv.index(name)
            options[name] = argv[i + 1]
            del argv[i:i + 2]
    floor = "--no-floor" not in argv
    argv = [a for a in argv if a != "--no-floor"]
    screenshot = Path(options["--screenshot"]) if options["--screenshot"] else None
    phones = int(argv[0]) if argv else 1000
    tune_for_many_connections()
    # the floor: the same rollout, no dashboard
    bare = trio.run(run, phones, None, False) if floor else None
    r = trio.run(run, phones, screenshot, True, float(options["--at"]))
    if bare is None:
        bare = {**r, "wall": float("nan"), "encrypted": "-", "lab_encrypted": "-",
                "log_lines": float("nan"), "router_cpu": float("nan"), "lag": [float("nan")]}
    wall = r["wall"]
    print(f"rollout of {phones} phones: {r['encrypted']}/{phones - 3} fleet phones and "
          f"{r['lab_encrypted']}/3 of the lab's own encrypted in {wall:.1f} s with the dashboard "
          f"open in Chromium; floor: the same rollout without it {bare['wall']:.1f} s "
          f"({bare['encrypted']}/{phones - 3} and {bare['lab_encrypted']}/3 encrypted)")
    print(f"dashboard updates: {r['updates'] / wall:.1f}/s sent, {r['applied'] / wall:.1f}/s "
          f"applied by the page ({r['dropped']} streams dropped); beside them the lab's own "
          f"events (log lines, phone steps, configuration changes): {r['events'] / wall:.0f}/s,"
          f" {r['events'] / max(r['updates'], 1):.0f} per update; router log lines "
          f"{r['log_lines'] / wall:.0f}/s (without the dashboard "
          f"{bare['log_lines'] / bare['wall']:.0f}/s)")
    render = sorted(r["render"]) or [0.0]
    p95 = render[min(len(render) - 1, int(0.95 * len(render)))]
    print(f"render per update in the browser: median {statistics.median(render):.1f} ms, "
          f"p95 {p95:.1f} ms, max {render[-1]:.1f} ms over {len(r['render'])} updates "
          f"(target < 100 ms); floor: one forced layout with no change {r['floor_ms']:.2f} ms")
    total = sorted(r["total"]) or [0.0]
    print(f"an update is applied across animation frames ({len(r['frames'])} frames: "
          f"{r['frames_by']['frame']} animation frames, "
          f"{r['frames_by']['timer']} by a timer when no frame came within 34 ms): its render "
          f"above is the longest frame that worked on it; from its arrival until the page "
          f"reflects it fully: median {statistics.median(total):.1f} ms, "
          f"p95 {total[min(len(total) - 1, int(0.95 * len(total)))]:.1f} ms, "
          f"max {total[-1]:.1f} ms")
    frames = sorted(zip(r["frames"], r["frame_sizes"], strict=False), key=lambda x: -x[0])[:3]
    print("slowest frames: " + "; ".join(
        f"{ms:.1f} ms ({s['phones']} phones, {s['log']} log lines, script {s['scriptMs']:.1f} ms)"
        for ms, s in frames))
    slowest = sorted(zip(r["render"], r["sizes"], strict=False), key=lambda x: -x[0])[:3]
    print("slowest updates: " + "; ".join(
        f"{ms:.1f} ms ({s.get('phones', 0)} phones, {s.get('log', 0)} log lines)"
        for ms, s in slowest) + f"; layout left by other work, laid out before an update: "
        f"max {max(r['pending'] or [0.0]):.1f} ms")
    latency = sorted(r["latency"]) or [0.0]
    print(f"from the lab's update to the page: median {statistics.median(latency):.0f} ms, "
          f"max {latency[-1]:.0f} ms; the router's event loop lag (a 50 ms sleep woken late) "
          f"{_lag(r)}, without the dashboard {_lag(bare)}")
    print(f"hub CPU (reading the lab, encoding updates): {r['hub_cpu']:.2f} s; router process "
          f"CPU {r['router_cpu']:.2f} s, without the dashboard {bare['router_cpu']:.2f} s")
    print(f"load average (1, 5, 15 min) at the end: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    if r["shot"].get("path"):
        print(f"screenshot with {r['shot']['percent']:.0f}% of the rollout done: "
              f"{r['shot']['path']}")
    elif screenshot is not None:
        seen = ", ".join(f"{t:.1f} s {p:.0f}%" for t, p in r["shot"].get("seen", []))
        print(f"no screenshot: the page never showed {options['--at']}% +- 20; it showed {seen}")


if __name__ == "__main__":
    main()
