"""The dashboard's ASGI application (Starlette): the page, its event stream, state, controls.

    GET  /                       the page (static files, no build step, nothing from outside)
    GET  /events                 server-sent events: a snapshot, then coalesced updates
    GET  /api/state              the snapshot as JSON
    GET  /api/audit              the audit panel's report
    POST /api/phones/{id}/{act}  power-cycle, dial {"digits"}, answer, hangup, key {"digits"}
"""

from __future__ import annotations

import logging
from importlib.resources import files

import trio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cucme_lab.lab.controls import run_control
from cucme_lab.lab.dashboard.hub import DashboardHub, TooManyStreams
from cucme_lab.lab.dashboard.panels import Auditor, audit_panel, find_auditor
from cucme_lab.lab.dashboard.requests import Refused, control_line

log = logging.getLogger(__name__)
STATIC = files("cucme_lab.lab.dashboard") / "static"
HEARTBEAT = 15.0  # seconds between comments on an idle stream (proxies close silent ones)
CONTROL_TIMEOUT = 15.0
NO_CACHE = {"Cache-Control": "no-store"}


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status, headers=NO_CACHE)


def build_app(hub: DashboardHub, auditor: Auditor | None = None) -> Starlette:
    runtime = hub.runtime
    auditor = auditor if auditor is not None else find_auditor()

    async def index(request: Request) -> Response:
        return FileResponse(str(STATIC / "index.html"), headers=NO_CACHE)

    async def events(request: Request) -> Response:
        try:
            first, receive, send = hub.open_stream()
        except TooManyStreams as exc:
            return error(503, str(exc))

        async def stream():
            try:
                yield first
                async with receive:
                    while True:
                        with trio.move_on_after(HEARTBEAT) as idle:
                            try:
                                event = await receive.receive()
                            except trio.EndOfChannel:  # dropped as too slow, or shutdown
                                return
                        yield b": idle\n\n" if idle.cancelled_caught else event
            finally:
                hub.close_stream(send)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={**NO_CACHE, "X-Accel-Buffering": "no"})

    async def state(request: Request) -> Response:
        sections, seq = hub.snapshot()
        return JSONResponse(sections, headers=NO_CACHE)

    async def audit(request: Request) -> Response:
        return JSONResponse(audit_panel(runtime.router, auditor), headers=NO_CACHE)

    async def control(request: Request) -> Response:
        ident = request.path_params["ident"]
        action = request.path_params["action"]
        try:
            line = control_line(runtime, ident, action, await request.body())
        except Refused as exc:
            return error(exc.status, exc.reason)
        with trio.move_on_after(CONTROL_TIMEOUT) as scope:
            output = await run_control(runtime, line)
        if scope.cancelled_caught:
            return error(504, f"the phone did not finish :{line} in {CONTROL_TIMEOUT:g} s")
        if output.startswith("%"):
            return error(409, output.lstrip("% ").strip())
        log.info("dashboard control :%s", line)
        return JSONResponse({"ok": True, "control": f":{line}", "output": output},
                            headers=NO_CACHE)

    routes = [
        Route("/", index),
        Route("/events", events),
        Route("/api/state", state),
        Route("/api/audit", audit),
        Route("/api/phones/{ident}/{action}", control, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    return Starlette(routes=routes)
