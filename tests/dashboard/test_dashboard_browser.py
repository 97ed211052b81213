"""The dashboard in a real headless browser (Debian's Chromium through Selenium).

The issue's requirements: the page loads with no console errors, a phone's status on the page
changes within 1 s of the phone's event (waited for in the browser, with a 1 s timeout from the
event), and a click on a control reaches the phone.
"""

from __future__ import annotations

import json
import sys
import time
from functools import partial
from pathlib import Path

import trio
from conftest import Shell

from cucme_lab.lab.dashboard.server import open_dashboard

from .browser import chromium_started, console_errors, wait_in_browser

sys.path.append(str(Path(__file__).resolve().parents[1] / "phones"))  # the guides' procedures
from procedures import AUTH_STRINGS, appendix_b  # noqa: E402

PHONE = "SEPCAFECAFE1234"
CARD = f"doc.getElementById('phone-{PHONE}')"


def _load(driver, url: str) -> list[dict]:
    driver.get(url)
    ok = wait_in_browser(driver, "window.dashboardStats.snapshots >= 1 && "
                         "doc.getElementById('connection').textContent === 'live' && "
                         f"{CARD} !== null", time.time() * 1000, 10_000)
    assert ok["ok"], "the page did not draw its first snapshot"
    return console_errors(driver)


async def test_page_loads_clean_and_follows_a_phone_within_a_second(runtime):
    with trio.fail_after(90):
        async with chromium_started() as driver, open_dashboard(runtime) as dash:
            phone = runtime.phone(1)
            await phone.wait_until(lambda p: p.state == "registered", 30)
            errors = await trio.to_thread.run_sync(_load, driver, dash.url)
            assert errors == []
            text = await trio.to_thread.run_sync(
                driver.execute_script,
                f"return document.getElementById('status-{PHONE}').textContent")
            assert text == phone.last_status

            event_ms = time.time() * 1000
            runtime.fleet.power_off(phone)  # the phone's event: it goes dark
            seen = await trio.to_thread.run_sync(partial(
                wait_in_browser, driver, f"{CARD}.dataset.state === 'off'", event_ms, 1000))
            assert seen["ok"], "the page did not show the phone off within 1 s"

            runtime.fleet.power_on(phone)  # and boots: its status message changes
            await phone.wait_until(lambda p: p.state == "registered", 30)
            event_ms = time.time() * 1000
            phone.status("Trust List Updated")  # a new line on the phone's screen
            seen = await trio.to_thread.run_sync(partial(
                wait_in_browser, driver,
                f"doc.getElementById('status-{PHONE}').textContent === 'Trust List Updated'",
                event_ms, 1000))
            assert seen["ok"], "the phone's status message did not change within 1 s"
            assert await trio.to_thread.run_sync(console_errors, driver) == []


def _click_dial(driver, digits: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, f"digits-{PHONE}")
    field.clear()
    field.send_keys(digits)
    driver.find_element(By.ID, f"dial-{PHONE}").click()


def _click(driver, element_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, element_id).click()


async def test_a_click_on_a_control_reaches_the_phone(runtime):
    with trio.fail_after(90):
        async with chromium_started() as driver, open_dashboard(runtime) as dash:
            caller, callee = runtime.phone(1), runtime.phone(2)
            for p in (caller, callee):
                await p.wait_until(lambda q: q.state == "registered", 30)
            assert await trio.to_thread.run_sync(_load, driver, dash.url) == []
            await trio.to_thread.run_sync(_click_dial, driver, "7002")
            await callee.wait_until(lambda q: any(c.state == "ringin" for c in q.calls), 10)
            await caller.wait_until(lambda q: any(c.state == "ringout" for c in q.calls), 10)
            # the call appears in the page's calls table, then a click hangs it up
            seen = await trio.to_thread.run_sync(partial(
                wait_in_browser, driver,
                "doc.querySelector('#calls tbody').textContent.includes('ringout')",
                time.time() * 1000, 5000))
            assert seen["ok"]
            await trio.to_thread.run_sync(_click, driver, f"hangup-{PHONE}")
            await caller.wait_until(lambda q: not q.calls, 10)
            boots = sum(m.endswith(" Booting") for m in caller.messages)
            await trio.to_thread.run_sync(_click, driver, f"power-{PHONE}")
            await caller.wait_until(
                lambda q: sum(m.endswith(" Booting") for m in q.messages) > boots, 10)


async def test_a_failed_phone_is_shown_beside_the_log_lines_that_caused_it(runtime):
    with trio.fail_after(90):
        async with chromium_started() as driver, open_dashboard(runtime) as dash:
            for p in runtime.phones:
                await p.wait_until(lambda q: q.state == "registered", 30)
            assert await trio.to_thread.run_sync(_load, driver, dash.url) == []
            # the router forgets ephone 4 and admits no unknown phone: phone 4 is rejected
            await Shell(runtime.router).type(
                "enable", "debug ephone register", "configure terminal", "telephony-service",
                "no auto-reg-ephone", "exit", "no ephone 4", "end")
            await runtime.fleet.power_cycle(runtime.phone(4))
            await runtime.phone(4).wait_until(lambda q: q.state == "rejected", 20)
            why = "doc.getElementById('why-SEPCAFECAFE4567')"
            seen = await trio.to_thread.run_sync(partial(
                wait_in_browser, driver,
                f"{why} !== null && {why}.textContent.includes('Registration rejected') && "
                f"{why}.textContent.includes('RegisterReject sent to SEPCAFECAFE4567')",
                time.time() * 1000, 5000))
            assert seen["ok"], "the failed phone's explanation did not appear"


async def test_guided_lab_progress_and_the_audit_panel_are_drawn(runtime):
    """The real audit's findings and a shipped guided lab's objectives, judged on this lab."""
    from cucme_lab.lab.audit import audit_router
    from cucme_lab.lab.labfile import load_lab
    from cucme_lab.scenarios.guided import GuideTracker, load_guide
    from cucme_lab.scenarios.guided_cli import find_lab
    from cucme_lab.scenarios.steps import Context

    findings = audit_router(runtime.router)["findings"]
    assert findings  # the default lab is not hardened
    guide = load_guide(load_lab(find_lab("nsa-global-rollout")))
    with trio.fail_after(60):
        async with chromium_started() as driver, open_dashboard(runtime) as dash, \
                trio.open_nursery() as nursery:
            assert await trio.to_thread.run_sync(_load, driver, dash.url) == []
            hidden = await trio.to_thread.run_sync(
                driver.execute_script, "return document.getElementById('guided-panel').hidden")
            assert hidden is True  # no guided lab: no panel
            audit = await trio.to_thread.run_sync(partial(
                wait_in_browser, driver,
                "/Score \\d+\\/100/.test(doc.getElementById('audit').textContent) && "
                f"doc.querySelectorAll('#audit .finding').length === {len(findings)} && "
                f"doc.getElementById('audit').textContent.includes({json.dumps(findings[0]['title'])})",
                time.time() * 1000, 5000))
            assert audit["ok"], "the Audit panel does not show the audit's findings"

            def publish(progress: dict) -> None:  # as `cucme-lab guided --dashboard` does
                runtime.lab.manifest.guided = progress
                dash.hub.poke()

            ctx = Context(runtime.router, runtime.lab.commands, runtime, nursery)
            tracker = GuideTracker(guide, ctx, publish)
            await tracker.judge()
            publish(tracker.progress())
            open_ = [o for o in guide.objectives if not tracker.states[o.id].done]
            assert open_ and tracker.percent < 100
            panel = "doc.getElementById('guided-panel')"
            seen = await trio.to_thread.run_sync(partial(
                wait_in_browser, driver,
                f"!{panel}.hidden && {panel}.textContent.includes({json.dumps(guide.title)}) && "
                f"{panel}.textContent.includes('{tracker.percent}% complete') && "
                f"{panel}.textContent.includes({json.dumps('Hint: ' + open_[0].hint)}) && "
                f"{panel}.querySelectorAll('li').length === {len(guide.objectives)}",
                time.time() * 1000, 5000))
            assert seen["ok"], "the guided lab's panel does not show its objectives"
            ctx.close()


def _key_in(driver, digits: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, f"auth-{PHONE}")
    field.clear()
    field.send_keys(digits)
    driver.find_element(By.ID, f"key-{PHONE}").click()


async def test_the_capf_string_keyed_in_on_the_page_enrols_the_phone(runtime):
    with trio.fail_after(120):
        async with chromium_started() as driver, open_dashboard(runtime) as dash:
            phone = runtime.phone(1)
            for p in runtime.phones:
                await p.wait_until(lambda q: q.state == "registered", 30)
            assert await trio.to_thread.run_sync(_load, driver, dash.url) == []
            await Shell(runtime.router).type(*appendix_b())  # Appendix B: auth-string mode
            await phone.wait_until(lambda q: q.state == "waiting-auth-string", 60)
            seen = await trio.to_thread.run_sync(partial(
                wait_in_browser, driver, f"doc.getElementById('status-{PHONE}').textContent"
                " === 'LSC: Enter Authentication String'", time.time() * 1000, 5000))
            assert seen["ok"]
            await trio.to_thread.run_sync(_key_in, driver, AUTH_STRINGS[0])
            await phone.wait_until(
                lambda q: q.state == "registered" and q.security == "encrypted", 60)
            seen = await trio.to_thread.run_sync(partial(
                wait_in_browser, driver, f"{CARD}.textContent.includes('cert LSC')",
                time.time() * 1000, 5000))
            assert seen["ok"], "the page does not show the phone's new LSC"
