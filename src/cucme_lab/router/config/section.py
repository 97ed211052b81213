"""The configuration tree: sections holding setting lines, rendered in canonical IOS order.

A setting is stored as parsed values plus the canonical line made from them (never the text a
person typed), under a key such as `service phone garp`. Its place in `show running-config` comes
from the section kind's order table (see `order.py`), not from the order it was typed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cucme_lab.router.config.order import rank_of


@dataclass
class Setting:
    key: str
    line: str
    values: dict[str, Any]
    sort: tuple = ()
    seq: int = 0


_seq = 0


def next_seq() -> int:
    global _seq
    _seq += 1
    return _seq


@dataclass
class Section:
    """A block such as `ephone  1` or the whole running configuration (kind `root`)."""

    kind: str
    header: str = ""
    ident: tuple = ()
    settings: dict[str, Setting] = field(default_factory=dict)
    children: dict[tuple, Section] = field(default_factory=dict)
    seq: int = field(default_factory=next_seq)
    # the children again, by kind: `sections(kind)` is asked per connection (interfaces, for
    # the arrival ACL) and must not walk a thousand ephones to find four interfaces
    _kinds: dict[str, dict[tuple, Section]] = field(default_factory=dict, repr=False,
                                                    compare=False)

    # --- settings -----------------------------------------------------------------------
    def set(self, key: str, line: str, values: dict[str, Any] | None = None,
            sort: tuple = ()) -> None:
        old = self.settings.get(key)
        self.settings[key] = Setting(key, line, dict(values or {}), sort,
                                     old.seq if old else next_seq())

    def unset(self, key: str) -> bool:
        return self.settings.pop(key, None) is not None

    def unset_prefix(self, prefix: str) -> int:
        keys = [k for k in self.settings if k == prefix or k.startswith(prefix + " ")]
        for k in keys:
            del self.settings[k]
        return len(keys)

    def get(self, key: str) -> dict[str, Any] | None:
        s = self.settings.get(key)
        return None if s is None else s.values

    def value(self, key: str, name: str, default: Any = None) -> Any:
        values = self.get(key)
        if values is None:
            return default
        return values.get(name, default)

    def has(self, key: str) -> bool:
        return key in self.settings

    def with_prefix(self, prefix: str) -> list[Setting]:
        return sorted((s for k, s in self.settings.items()
                       if k == prefix or k.startswith(prefix + " ")), key=self._order)

    # --- child sections ----------------------------------------------------------------
    def section(self, kind: str, ident: tuple, header: str, factory: type[Section] | None = None
                ) -> Section:
        key = (kind, *ident)
        sec = self.children.get(key)
        if sec is None:
            sec = (factory or Section)(kind=kind, header=header, ident=ident)
            self.children[key] = sec
            self._kinds.setdefault(kind, {})[key] = sec
        return sec

    def find(self, kind: str, ident: tuple) -> Section | None:
        return self.children.get((kind, *ident))

    def remove(self, kind: str, ident: tuple) -> Section | None:
        self._kinds.get(kind, {}).pop((kind, *ident), None)
        return self.children.pop((kind, *ident), None)

    def sections(self, kind: str) -> list[Section]:
        return sorted(self._kinds.get(kind, {}).values(), key=lambda s: (s.sort_key(), s.seq))

    # --- rendering ---------------------------------------------------------------------
    def sort_key(self) -> tuple:
        return self.ident

    def _order(self, s: Setting) -> tuple:
        return (rank_of(self.kind, s.key), s.sort, s.seq)

    def body(self) -> list[tuple[tuple, Setting | Section]]:
        """Settings and child sections, each with its canonical position."""
        items: list[tuple[tuple, Setting | Section]] = []
        for s in self.settings.values():
            items.append((self._order(s), s))
        for s in self.typed_settings():
            items.append((self._order(s), s))
        for c in self.children.values():
            items.append(((rank_of(self.kind, c.kind), c.sort_key(), c.seq), c))
        items.sort(key=lambda pair: pair[0])
        return items

    def typed_settings(self) -> Iterator[Setting]:
        """Lines a typed block renders from its attributes (`config.model.ConfigBlock`)."""
        return iter(())

    def extra_lines(self) -> Iterator[str]:
        """Lines a subclass renders itself after the settings (certificate hex, for one)."""
        return iter(())

    def render(self, depth: int = 0) -> Iterator[str]:
        pad = " " * depth
        if self.header:
            yield pad + self.header
        inner = depth + 1 if self.header else depth
        for _, item in self.body():
            if isinstance(item, Setting):
                yield " " * inner + item.line
            else:
                yield from item.render(inner)
        yield from self.extra_lines()
