"""The TFTP file table CUCME publishes: immutable snapshots, replaced whole.

Each producer owns one group of entries: the CTL client (`ctl`), `create cnf-files` (`cnf`),
`load-cfg-file` (`load-cfg`) and `tftp-server` bindings (`bindings`). A producer computes all
its files first and then swaps its group in one step, so the table a phone reads is never half
written. The TFTP server process gets each new `TftpTable` as a whole and serves it read-only.

The table lives in the router's runtime memory (`system:/its` on a real router): a reload
empties it, and the startup-config's `create cnf-files`, `load-cfg-file` and `tftp-server`
lines rebuild it. `CTLFile.tlv` is a flash file and survives the reload, but CME serves it only
while the configuration has a `ctl-client`: a router restarted without its secure configuration
(never saved) keeps the file on flash and serves nothing, as a real site sees after such a
reload. Phones that already trust that list then find no signed configuration file and stay
unregistered until their trust list is erased (Settings > Security > CTL File > Erase, or a
factory reset) or the configuration is restored.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from cucme_lab.router.storage import FlashPathError, LabStorage

GROUP_ORDER = ("ctl", "cnf", "load-cfg", "bindings")
CTL_FILENAME = "CTLFile.tlv"


@dataclass(frozen=True)
class TftpEntry:
    """One published file: the name phones ask for, its bytes, and where IOS says it lives."""

    name: str
    data: bytes = field(repr=False)
    source: str  # `system:/its/SEP...cnf.xml`, `flash:CTLFile.tlv`, ...

    def binding_line(self) -> str:
        """How `show telephony-service tftp-bindings` lists it (spec 6.7): the alias when it
        differs from the file's name, and always for XMLDefault.cnf.xml, as CME lists it
        (`tftp-server system:/its/XMLDefault.cnf.xml alias XMLDefault.cnf.xml`)."""
        base = self.source.rsplit("/", 1)[-1].split(":", 1)[-1]
        if base == self.name and self.name != "XMLDefault.cnf.xml":
            return f"tftp-server {self.source}"
        return f"tftp-server {self.source} alias {self.name}"


@dataclass(frozen=True)
class TftpTable:
    """An immutable name -> entry map; `version` grows with every published change."""

    version: int = 0
    groups: Mapping[str, tuple[TftpEntry, ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    files: Mapping[str, TftpEntry] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, name: str) -> bytes | None:
        entry = self.files.get(name)
        return None if entry is None else entry.data

    def entries(self) -> list[TftpEntry]:
        """In listing order: by group, then as the producer gave them."""
        return [e for g in GROUP_ORDER for e in self.groups.get(g, ())]

    def with_group(self, group: str, entries: Iterable[TftpEntry]) -> TftpTable:
        groups = dict(self.groups)
        groups[group] = tuple(entries)
        files: dict[str, TftpEntry] = {}
        # Later groups never shadow earlier ones: a CTL or cnf file cannot be replaced by an
        # alias of the same name (IOS keeps the first binding of a name) [U].
        for g in GROUP_ORDER:
            for entry in groups.get(g, ()):
                files.setdefault(entry.name, entry)
        return TftpTable(self.version + 1, MappingProxyType(groups), MappingProxyType(files))

    def encode(self) -> bytes:
        """Wire form for the server process: count, then (name, data) pairs."""
        parts = [struct.pack(">QI", self.version, len(self.files))]
        for name, entry in self.files.items():
            raw = name.encode("utf-8")
            parts.append(struct.pack(">HI", len(raw), len(entry.data)))
            parts.append(raw)
            parts.append(entry.data)
        return b"".join(parts)


def decode_files(payload: bytes) -> tuple[int, dict[str, bytes]]:
    """The server process's side of `TftpTable.encode`."""
    version, count = struct.unpack_from(">QI", payload)
    pos = 12
    files: dict[str, bytes] = {}
    for _ in range(count):
        name_len, data_len = struct.unpack_from(">HI", payload, pos)
        pos += 6
        name = payload[pos:pos + name_len].decode("utf-8")
        pos += name_len
        files[name] = payload[pos:pos + data_len]
        pos += data_len
    return version, files


class ProvisioningState:
    """What CUCME has published; the Router makes a new one at each boot (`router.provisioning`).

    The table is read at its first use after the boot, not when the Router makes this object:
    `CTLFile.tlv` on flash is what phones get until `regenerate`, and flash may change between
    the power-on and the first phone's request.
    """

    def __init__(self, storage: LabStorage, notify: Callable[[], None],
                 ctl_configured: Callable[[], bool] = lambda: True) -> None:
        self._storage = storage
        self._notify = notify  # the TFTP service sends each new snapshot to its process
        self._ctl_configured = ctl_configured  # the configuration has a `ctl-client`
        self._table: TftpTable | None = None

    @property
    def table(self) -> TftpTable:
        if self._table is None:
            self._table = _table_from_flash(self._storage)
        return self._table

    def booted(self) -> None:
        """The startup-config has been applied: without a `ctl-client` in it, the CTL file
        on flash is no longer served (it stays on flash)."""
        if not self._ctl_configured() and self.table.groups.get("ctl"):
            self.publish("ctl", [])

    def publish(self, group: str, entries: Iterable[TftpEntry]) -> None:
        self._table = self.table.with_group(group, entries)
        self._notify()

    def group(self, group: str) -> tuple[TftpEntry, ...]:
        return tuple(self.table.groups.get(group, ()))


def _table_from_flash(storage: LabStorage) -> TftpTable:
    try:
        ctl = storage.read_flash(CTL_FILENAME)
    except FlashPathError:
        ctl = None
    if ctl is None:
        return TftpTable()
    # The CTL file on flash survives a reload and is what phones get until `regenerate`.
    groups = {"ctl": (TftpEntry(CTL_FILENAME, ctl, f"flash:{CTL_FILENAME}"),)}
    return TftpTable(1, MappingProxyType(groups),
                     MappingProxyType({CTL_FILENAME: groups["ctl"][0]}))


class Publishing(Protocol):
    """A router, as far as its TFTP table goes (the Router owns a ProvisioningState; this
    module does not import the Router, which imports it)."""

    @property
    def provisioning(self) -> ProvisioningState: ...


def published(router: Publishing) -> TftpTable:
    """The table phones get now."""
    return router.provisioning.table
