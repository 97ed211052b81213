"""A set of phones running together, each in the fleet's nursery, each with its own flash.

The fleet powers phones on and off, power-cycles them and resets them to factory; what a phone
may reach is decided by the `network` callable the owner gives (the lab's address plan).
`run_calls` puts registered fleet phones in calls with each other, pair by pair.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trio

from cucme_lab.phones.calls import CallError
from cucme_lab.phones.models import model
from cucme_lab.phones.phone import Phone, PhoneNetwork
from cucme_lab.phones.spec import PhoneSpec
from cucme_lab.phones.storage import PhoneStorage

BOOT_WINDOW = 32  # phones of a fleet fetching their files (TFTP) at once
BOOT_SLOT = 2.0  # seconds; a phone's files take milliseconds to a second when all is well
FETCHING = ("off", "booting", "configuring")  # before the phone enrols or registers


class Fleet:
    def __init__(self, folder: Path, network: Callable[[PhoneSpec], PhoneNetwork], *,
                 time_scale: float = 1.0,
                 on_change: Callable[[], None] | None = None,
                 mic_issuer: Callable[[str], tuple] | None = None) -> None:
        self.folder = Path(folder)
        self.network = network
        self.time_scale = time_scale
        self.on_change = on_change
        self.mic_issuer = mic_issuer
        self.phones: dict[str, Phone] = {}
        self._power: dict[str, trio.CancelScope] = {}
        self._nursery: trio.Nursery | None = None

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    def add(self, spec: PhoneSpec) -> Phone:
        phone = Phone(spec.mac, model(spec.model), self.network(spec),
                      PhoneStorage(self.folder / ("SEP" + _mac(spec.mac))),
                      time_scale=self.time_scale)
        if phone.model.has_mic and phone.storage.mic is None and self.mic_issuer is not None:
            phone.storage.install_mic(*self.mic_issuer(phone.device_name))
        self.phones[phone.mac] = phone
        return phone

    def get(self, ident: str) -> Phone:
        """A phone by MAC (any notation) or by its position in the fleet (1-based)."""
        if ident.isdigit() and int(ident) <= len(self.phones):
            return list(self.phones.values())[int(ident) - 1]
        return self.phones[_mac(ident)]

    def power_on(self, phone: Phone) -> None:
        if phone.mac in self._power or self._nursery is None:
            return
        scope = trio.CancelScope()
        self._power[phone.mac] = scope
        self._nursery.start_soon(self._powered, phone, scope)

    async def power_on_paced(self, phones: list[Phone], window: int = BOOT_WINDOW) -> None:
        """Power `phones` on in order, at most `window` of them fetching their files at once.

        A thousand phones switched on at the same instant swamped the router's TFTP server:
        most lost their trust list download, booted without one, enrolled, failed to register
        securely and booted again (1.8 CAPF sessions and 3.4 downloads a phone). Each phone
        still boots exactly as alone; the fleet only waits for a slot before switching the
        next one on, as a site's switch brings its ports up. A slot is held `BOOT_SLOT`
        seconds at most, so phones that cannot fetch (no TFTP server) do not keep the rest
        of the fleet switched off."""
        slots: list[tuple[Phone, float]] = []
        for phone in phones:
            while True:
                now = trio.current_time()
                slots = [(p, t) for p, t in slots if p.state in FETCHING and now - t < BOOT_SLOT]
                if len(slots) < window:
                    break
                await trio.sleep(0.01)
            self.power_on(phone)
            slots.append((phone, trio.current_time()))

    async def _powered(self, phone: Phone, scope: trio.CancelScope) -> None:
        with scope:
            if self.on_change is None:  # nobody to tell: no watcher task waking per change
                await phone.run()
            else:
                watcher = trio.CancelScope()
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._watch, phone, watcher)
                    await phone.run()
                    watcher.cancel()
        self._power.pop(phone.mac, None)
        self._changed()

    async def _watch(self, phone: Phone, scope: trio.CancelScope) -> None:
        with scope:
            while True:
                self._changed()
                seen = phone.changes
                await phone.wait_until(lambda p, seen=seen: p.changes != seen, timeout=math.inf)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def power_off(self, phone: Phone) -> None:
        scope = self._power.get(phone.mac)
        if scope is not None:
            scope.cancel()

    async def power_cycle(self, phone: Phone) -> None:
        self.power_off(phone)
        while phone.mac in self._power:
            await trio.sleep(0.01)
        self.power_on(phone)

    async def factory_reset(self, phone: Phone) -> None:
        self.power_off(phone)
        while phone.mac in self._power:
            await trio.sleep(0.01)
        phone.factory_reset()
        self.power_on(phone)


def _mac(text: str) -> str:
    return text.replace(".", "").replace(":", "").replace("-", "").upper().removeprefix("SEP")


# --- calls between fleet phones ----------------------------------------------------------------

MEDIA_POLL = 0.01  # seconds between looks at a new call's first media packets


def own_number(phone: Phone, line: int = 1) -> str:
    """The directory number the router gave the phone's `line` (LineStat), or ""."""
    client = phone.registration
    stat = client.line_stats.get(line) if client is not None else None
    return stat.dir_number if stat is not None else ""


def _connected_with_media(p: Phone) -> bool:
    return any(c.state == "connected" and c.media is not None and c.media.counters.sent > 0
               and c.media.counters.received > 0 for c in p.calls)


async def one_call(caller: Phone, callee: Phone, seconds: float, timeout: float) -> dict:
    """Caller dials callee's number, callee answers; both connected with media started is a
    setup; the call is held `seconds` with media, then the caller hangs up. Returns what
    happened, with both ends' media counters."""
    number = own_number(callee)
    out: dict = {"caller": caller.device_name, "callee": callee.device_name, "number": number,
                 "connected": False, "setup_seconds": None, "security": None, "media": [],
                 "error": ""}
    if not number:
        out["error"] = f"{callee.device_name} has no line"
        return out
    started = trio.current_time()
    counters = []
    try:
        with trio.fail_after(timeout):
            await caller.dial(number)
            await callee.wait_until(lambda p: any(c.state == "ringin" for c in p.calls),
                                    timeout)
            await callee.answer()
            # the media report progress once a second: poll for the first packets
            while not (_connected_with_media(caller) and _connected_with_media(callee)):
                await trio.sleep(MEDIA_POLL)
        out["connected"] = True
        out["setup_seconds"] = round(trio.current_time() - started, 4)
        calls = [caller.calls[0], callee.calls[0]]
        out["security"] = calls[0].security
        counters = [c.media.counters for c in calls if c.media is not None]
        await trio.sleep(seconds)
        await caller.hang_up()
        with trio.fail_after(timeout):
            for p in (caller, callee):
                await p.wait_until(lambda q: not q.calls, timeout)
    except (CallError, trio.TooSlowError) as exc:
        out["error"] = str(exc) or "timed out"
    out["media"] = [m.as_dict() for m in counters]
    return out


async def run_calls(phones: list[Phone], count: int, seconds: float, timeout: float = 20.0
                    ) -> list[dict]:
    """`count` concurrent calls between pairs of `phones` (1 calls 2, 3 calls 4, ...)."""
    if 2 * count > len(phones):
        raise ValueError(f"{count} calls need {2 * count} phones, not {len(phones)}")
    results: list[dict] = [{} for _ in range(count)]

    async def call(i: int) -> None:
        results[i] = await one_call(phones[2 * i], phones[2 * i + 1], seconds, timeout)

    async with trio.open_nursery() as nursery:
        for i in range(count):
            nursery.start_soon(call, i)
    return results


def call_report(calls: list[dict]) -> dict:
    """The calls' totals as `cucme-phones --json` reports them."""
    media = [m for c in calls for m in c["media"]]
    setups = sorted(c["setup_seconds"] for c in calls if c["setup_seconds"] is not None)
    sent = sum(m["sent"] for m in media)
    lost = sum(m["lost"] for m in media)
    return {"setups": len(calls), "connected": sum(c["connected"] for c in calls),
            "failed": sum(bool(c["error"]) for c in calls),
            "srtp": sum(1 for c in calls if c["media"] and all(m["srtp"] for m in c["media"])),
            "security": dict(Counter(c["security"] or "none" for c in calls)),
            "media": {"sent": sent, "received": sum(m["received"] for m in media), "lost": lost,
                      "loss_percent": round(100 * lost / sent, 3) if sent else 0.0,
                      "auth_failures": sum(m["auth_failures"] for m in media),
                      "signal_ok": sum(m["signal_ok"] for m in media)},
            "setup_seconds": {"median": setups[len(setups) // 2] if setups else None,
                              "max": setups[-1] if setups else None},
            "errors": dict(Counter(c["error"] for c in calls if c["error"]))}
