"""Serving the dashboard: hypercorn's trio worker on a loopback port, beside the lab.

The server and the hub run in a nursery of their own inside the lab's process; the page's URL
goes into `lab.json` as `dashboard.url` while it serves. Loopback only unless the caller names
another address.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from cucme_lab.lab.dashboard.app import build_app
from cucme_lab.lab.dashboard.hub import DashboardHub
from cucme_lab.lab.dashboard.panels import Auditor
from cucme_lab.lab.runtime import LabRuntime

log = logging.getLogger(__name__)
DEFAULT_HOST = "127.0.0.1"


def add_dashboard_arguments(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--dashboard [--dashboard-port N] [--dashboard-host ADDR]`, for every command that can
    serve the page (`help_text` is the `--dashboard` option's own)."""
    parser.add_argument("--dashboard", action="store_true", help=help_text)
    parser.add_argument("--dashboard-port", type=int, default=0, metavar="N",
                        help="the dashboard's port (default: any free port)")
    parser.add_argument("--dashboard-host", default=DEFAULT_HOST, metavar="ADDR",
                        help="the address the dashboard listens on (default: %(default)s)")


@dataclass
class Dashboard:
    url: str
    hub: DashboardHub


def hypercorn_config(host: str, port: int) -> Config:
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("cucme_lab.lab.dashboard.http")
    config.graceful_timeout = 1.0  # event streams end at once when the hub closes them
    config.keep_alive_timeout = 5.0
    config.read_timeout = 30  # a client that sends half a request is cut off
    config.h11_max_incomplete_size = 16 * 1024
    config.backlog = 128
    return config


@asynccontextmanager
async def open_dashboard(runtime: LabRuntime, host: str = DEFAULT_HOST, port: int = 0, *,
                         interval: float = 0.1, max_streams: int = 64,
                         auditor: Auditor | None = None) -> AsyncIterator[Dashboard]:
    """Serve the dashboard of `runtime` until the block ends; port 0 takes a free one."""
    hub = DashboardHub(runtime, interval=interval, max_streams=max_streams)
    app = build_app(hub, auditor)
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        await nursery.start(hub.run)
        binds = await nursery.start(lambda task_status: serve(
            app, hypercorn_config(host, port), shutdown_trigger=stop.wait,
            task_status=task_status))
        url = binds[0].rstrip("/") + "/"
        manifest = runtime.lab.manifest
        manifest.dashboard = {"url": url}
        runtime.lab.write_manifest()
        log.info("dashboard at %s", url)
        try:
            yield Dashboard(url, hub)
        finally:
            manifest.dashboard = None
            try:
                runtime.lab.write_manifest()
            except OSError:
                log.exception("cannot write the lab manifest")
            hub.detach()  # open event streams end, so the server's shutdown need not wait
            stop.set()
            nursery.cancel_scope.cancel()


@asynccontextmanager
async def optional_dashboard(runtime: LabRuntime, enabled: bool, host: str = DEFAULT_HOST,
                             port: int = 0) -> AsyncIterator[Dashboard | None]:
    """`cucme-lab --dashboard`: the dashboard when asked for, else nothing."""
    if not enabled:
        yield None
        return
    async with open_dashboard(runtime, host, port) as dashboard:
        print(f"Dashboard: {dashboard.url}", flush=True)
        yield dashboard
