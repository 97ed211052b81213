"""A set of phones running together, each in the fleet's nursery, each with its own flash.

The fleet powers phones on and off, power-cycles them and resets them to factory; what a phone
may reach is decided by the `network` callable the owner gives (the lab's address plan).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from cucme_lab.phones.models import model
from cucme_lab.phones.phone import Phone, PhoneNetwork
from cucme_lab.phones.storage import PhoneStorage


@dataclass(frozen=True)
class PhoneSpec:
    mac: str  # any MAC notation: CAFE.CAFE.1234, cafecafe1234
    model: str = "7970"
    address: str = ""  # the phone's configured IP address


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

    async def _powered(self, phone: Phone, scope: trio.CancelScope) -> None:
        with scope:
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
        phone.storage.factory_reset()
        phone.messages.clear()
        self.power_on(phone)


def _mac(text: str) -> str:
    return text.replace(".", "").replace(":", "").replace("-", "").upper().removeprefix("SEP")
