"""Live updates without slowing the lab: changes coalesced, one update per interval for all.

Whatever happens in the lab (a phone's step, a log line, a configuration change) only sets a
flag. The hub's own task wakes at most once per `interval`, reads the lab once (`view`), keeps
what differs from the last update, encodes it once and hands the same bytes to every open event
stream. Each stream has a small bounded queue: a client that falls that far behind is dropped
(its browser reconnects and gets a fresh snapshot), never buffered without bound. Streams are
capped; one more is refused.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import trio

from cucme_lab.lab.dashboard import view
from cucme_lab.lab.dashboard.panels import GuidedReader
from cucme_lab.lab.runtime import LabRuntime

log = logging.getLogger(__name__)
LOG_TAIL = 300  # router log lines a new page starts with
LOG_PER_UPDATE = 500  # at most this many new lines in one update (a burst keeps the newest)
SAFETY_TICK = 1.0  # seconds: services start in the background without telling anyone


class TooManyStreams(Exception):
    """The cap of open event streams is reached."""


def sse(kind: str, data: Any) -> bytes:
    """One server-sent event."""
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class DashboardHub:
    def __init__(self, runtime: LabRuntime, *, interval: float = 0.1, max_streams: int = 64,
                 queue: int = 16) -> None:
        self.runtime = runtime
        self.interval = interval
        self.max_streams = max_streams
        self.queue = queue
        self.guided = GuidedReader(runtime.lab.manifest, runtime.lab.lab_dir)
        self._streams: set[trio.MemorySendChannel[bytes]] = set()
        self._wake = trio.Event()
        self._last: dict[str, Any] | None = None
        self._log_seq = runtime.router.log.logged
        self.config_version = 0
        self._configured: dict[str, Any] | None = None  # the ephones, until the config changes
        self._interfaces: list[dict[str, Any]] | None = None  # likewise the interfaces
        # counters the benchmark and the tests read
        self.events = 0  # lab events seen (phone steps, log lines, configuration changes)
        self.updates = 0  # updates broadcast
        self.dropped = 0  # slow streams dropped
        self.refused = 0  # streams refused at the cap
        self.build_seconds = 0.0  # CPU spent reading the lab and encoding updates
        self._unhook: list = []

    # --- what the lab tells us ---------------------------------------------------------------
    def poke(self, *_: object) -> None:
        self.events += 1
        self._wake.set()

    def _config_changed(self) -> None:
        self.config_version += 1
        self._configured = None
        self._interfaces = None
        self.poke()

    def attach(self) -> None:
        """Listen to the router's log, configuration and calls and to the fleet's phones."""
        router, fleet = self.runtime.router, self.runtime.fleet
        router.log.subscribe(self.poke)
        router.change_listeners.append(self._config_changed)
        router.phones.calls.listeners.append(self.poke)
        previous = fleet.on_change

        def fleet_changed() -> None:
            if previous is not None:
                previous()
            self.poke()

        fleet.on_change = fleet_changed

        def unhook() -> None:
            router.log.unsubscribe(self.poke)
            if self._config_changed in router.change_listeners:
                router.change_listeners.remove(self._config_changed)
            if self.poke in router.phones.calls.listeners:
                router.phones.calls.listeners.remove(self.poke)
            if fleet.on_change is fleet_changed:
                fleet.on_change = previous

        self._unhook.append(unhook)

    def detach(self) -> None:
        for unhook in self._unhook:
            unhook()
        self._unhook.clear()
        for send in list(self._streams):
            send.close()
        self._streams.clear()

    # --- reading the lab ---------------------------------------------------------------------
    def sections(self) -> dict[str, Any]:
        if self._configured is None:
            self._configured = view.configured_phones(self.runtime)
        if self._interfaces is None:
            self._interfaces = view.interface_view(self.runtime)
        phones = view.phones(self.runtime, self._configured)
        return {"topology": view.topology(self.runtime, self._interfaces), "phones": phones,
                "calls": view.calls(phones, self.runtime.router),
                "rollout": view.rollout(phones),
                "guided": self.guided.read(), "config": self.config_version}

    def _log_since(self, seq: int, limit: int) -> list[list]:
        log = self.runtime.router.log
        lines = log.lines
        new = min(log.logged - seq, len(lines), limit)
        first = log.logged - new + 1
        return [[first + i, lines[len(lines) - new + i]] for i in range(new)] if new > 0 else []

    def snapshot(self) -> tuple[dict[str, Any], int]:
        sections = self.sections()
        seq = self.runtime.router.log.logged
        return sections, seq

    def snapshot_event(self, sections: dict[str, Any], seq: int) -> bytes:
        log = self._log_since(seq - LOG_TAIL, LOG_TAIL)
        return sse("snapshot", {**sections, "log": log, "time": time.time()})

    def diff(self, new: dict[str, Any]) -> dict[str, Any]:
        last = self._last or {}
        out: dict[str, Any] = {}
        for key, value in new.items():
            if key == "phones":
                before = last.get("phones", {})
                changed = {k: v for k, v in value.items() if before.get(k) != v}
                removed = [k for k in before if k not in value]
                if changed:
                    out["phones"] = changed
                if removed:
                    out["removed"] = removed
            elif last.get(key) != value:
                out[key] = value
        return out

    # --- streams -----------------------------------------------------------------------------
    def open_stream(self) -> tuple[bytes, trio.MemoryReceiveChannel[bytes],
                                   trio.MemorySendChannel[bytes]]:
        """The first event (a full snapshot) and the channel the next ones come through."""
        if len(self._streams) >= self.max_streams:
            self.refused += 1
            raise TooManyStreams(f"{self.max_streams} event streams are open already")
        sections, seq = self.snapshot()
        if not self._streams:  # nobody holds an older state: diff from this one
            self._last, self._log_seq = sections, seq
        send, receive = trio.open_memory_channel[bytes](self.queue)
        self._streams.add(send)
        return self.snapshot_event(sections, seq), receive, send

    def close_stream(self, send: trio.MemorySendChannel[bytes]) -> None:
        self._streams.discard(send)
        send.close()

    @property
    def streams(self) -> int:
        return len(self._streams)

    def broadcast(self, event: bytes) -> None:
        for send in list(self._streams):
            try:
                send.send_nowait(event)
            except trio.WouldBlock:  # too slow: drop it rather than buffer for it
                self.dropped += 1
                self.close_stream(send)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                self.close_stream(send)

    def tick(self) -> None:
        """One coalesced update: what changed since the last one, to every stream."""
        if not self._streams:
            self._last = None
            self._log_seq = self.runtime.router.log.logged
            return
        started = time.thread_time()
        sections = self.sections()
        update = self.diff(sections)
        log = self._log_since(self._log_seq, LOG_PER_UPDATE)
        self._log_seq = self.runtime.router.log.logged
        if log:
            update["log"] = log
        self._last = sections
        if update:
            update["time"] = time.time()
            self.updates += 1
            self.broadcast(sse("update", update))
        self.build_seconds += time.thread_time() - started

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Wake on a change (or the safety tick), update, then rest `interval` to coalesce."""
        self.attach()
        try:
            task_status.started()
            while True:
                with trio.move_on_after(SAFETY_TICK):
                    await self._wake.wait()
                self._wake = trio.Event()
                try:
                    self.tick()
                except Exception:  # a bug in reading the lab costs one update, not the lab
                    log.exception("dashboard update failed")
                    self._last = None
                await trio.sleep(self.interval)
        finally:
            self.detach()
