"""Debian's Chromium, headless, driven by Selenium through Debian's chromedriver.

Nothing is downloaded: the browser and the driver are the system's (`.ci/run` installs the
`chromium` and `chromium-driver` packages), and Selenium Manager is told to stay offline. The
browser may reach loopback only: no background networking, no component updates, no QUIC.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import trio

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000")


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator:
    """A fresh headless Chromium (its own user-data-dir), quit and removed at the end."""
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cucme-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ARGS:
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_script_timeout(30)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@asynccontextmanager
async def chromium_started(width: int = 1400, height: int = 1000) -> AsyncIterator:
    """`chromium()` started and quit in a worker thread: the lab's event loop never waits."""
    manager = chromium(width, height)
    driver = await trio.to_thread.run_sync(manager.__enter__)
    try:
        yield driver
    finally:
        await trio.to_thread.run_sync(manager.__exit__, None, None, None)


def console_errors(driver) -> list[dict]:
    """The page's console messages of level SEVERE since the last call."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


# Resolves when `predicate` (a JS expression over `doc`) holds, or fails `ms` after `since`
# (epoch milliseconds: the moment of the lab's event), checked on every DOM mutation.
WAIT_SCRIPT = """
const [expression, since, ms, done] = arguments;
const check = new Function("doc", "return (" + expression + ");");
const finish = (ok) => { observer.disconnect(); clearTimeout(timer);
  done({ok, at: Date.now()}); };
const observer = new MutationObserver(() => { try { if (check(document)) finish(true); }
  catch (e) {} });
const timer = setTimeout(() => finish(false), Math.max(0, since + ms - Date.now()));
try { if (check(document)) { finish(true); } else {
  observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                   characterData: true}); } } catch (e) {
  observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                   characterData: true}); }
"""


def wait_in_browser(driver, expression: str, since_ms: float, timeout_ms: float) -> dict:
    return driver.execute_async_script(WAIT_SCRIPT, expression, since_ms, timeout_ms)
