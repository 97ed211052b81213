"""The TFTP file table CUCME publishes: immutable snapshots, replaced whole.

Each producer owns one group of entries: the CTL client (`ctl`), `create cnf-files` (`cnf`),
`load-cfg-file` (`load-cfg`) and `tftp-server` bindings (`bindings`). A producer computes all
its files first and then swaps its group in one step, so the table a phone reads is never half
written. A producer that rebuilds a few files of its group (a phone's configuration after its
CAPF operation) replaces just those, in place. The TFTP server process gets the first table
whole and then each new one as the files that changed since the last it got (`encode_delta`),
and serves it read-only: a 1,000-phone rollout republishes one phone's file a thousand times,
and sending the whole table each time cost the router more than its share of the handshakes.

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
from functools import cached_property
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

    def find(self, group: str, name: str) -> TftpEntry | None:
        """The entry `group` holds under `name` (served or shadowed), or None."""
        i = self._positions(group).get(name)
        return None if i is None else self.groups[group][i]

    def with_replaced(self, group: str, entries: Iterable[TftpEntry]) -> TftpTable:
        """The table with these entries of `group` swapped for the ones of the same name, each
        in its place; names the group does not hold are left out. Costs what the entries do,
        not what the table holds."""
        positions = self._positions(group)
        items = list(self.groups.get(group, ()))
        files = self.files.copy()  # the proxied dict's own copy (dict(proxy) walks it)
        for entry in entries:
            i = positions.get(entry.name)
            if i is None:
                continue
            if files.get(entry.name) is items[i]:  # served, not shadowed by an earlier group
                files[entry.name] = entry
            items[i] = entry
        groups = dict(self.groups)
        groups[group] = tuple(items)
        table = TftpTable(self.version + 1, MappingProxyType(groups), MappingProxyType(files))
        table.__dict__["_group_positions"] = {**self._group_positions, group: positions}
        return table

    @cached_property
    def _group_positions(self) -> dict[str, dict[str, int]]:
        return {}

    def _positions(self, group: str) -> dict[str, int]:
        """Name -> index in `group` (the first of a name), made once per group's tuple."""
        known = self._group_positions.get(group)
        if known is None:
            known = {}
            for i, entry in enumerate(self.groups.get(group, ())):
                known.setdefault(entry.name, i)
            self._group_positions[group] = known
        return known

    def encode(self) -> bytes:
        """Wire form for the server process: count, then (name, data) pairs."""
        return b"".join(_encode_pairs(self.version, list(self.files.items())))


def _encode_pairs(version: int, items: list[tuple[str, TftpEntry]]) -> list[bytes]:
    """The version and count, then each (name, data) pair: `_decode_pairs` reads it."""
    parts = [struct.pack(">QI", version, len(items))]
    for name, entry in items:
        raw = name.encode("utf-8")
        parts += [struct.pack(">HI", len(raw), len(entry.data)), raw, entry.data]
    return parts


def encode_delta(sent: TftpTable, table: TftpTable) -> bytes:
    """What `table` changed since `sent`, for a server process that holds `sent`: the version,
    the files added or replaced (as `encode`), then the names gone (u32 count, u16-prefixed
    names). Entries are compared by identity: a table shares its unchanged entries."""
    old = sent.files
    changed = [(name, e) for name, e in table.files.items() if old.get(name) is not e]
    gone = [name for name in old if name not in table.files]
    parts = _encode_pairs(table.version, changed)
    parts.append(struct.pack(">I", len(gone)))
    for name in gone:
        raw = name.encode("utf-8")
        parts += [struct.pack(">H", len(raw)), raw]
    return b"".join(parts)


def _decode_pairs(payload: bytes) -> tuple[int, dict[str, bytes], int]:
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
    return version, files, pos


def decode_files(payload: bytes) -> tuple[int, dict[str, bytes]]:
    """The server process's side of `TftpTable.encode`."""
    version, files, _ = _decode_pairs(payload)
    return version, files


def apply_delta(files: Mapping[str, bytes], payload: bytes) -> tuple[int, dict[str, bytes]]:
    """The server process's side of `encode_delta`: a new dict, `files` left as it was."""
    version, changed, pos = _decode_pairs(payload)
    out = dict(files)
    out.update(changed)
    (count,) = struct.unpack_from(">I", payload, pos)
    pos += 4
    for _ in range(count):
        (name_len,) = struct.unpack_from(">H", payload, pos)
        pos += 2
        out.pop(payload[pos:pos + name_len].decode("utf-8"), None)
        pos += name_len
    return version, out


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

    def replace(self, group: str, entries: Iterable[TftpEntry]) -> None:
        """Swap some files of `group` for new ones of the same names (`with_replaced`)."""
        self._table = self.table.with_replaced(group, entries)
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
