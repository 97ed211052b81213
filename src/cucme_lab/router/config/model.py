"""Typed configuration blocks: the settings the router acts on, as typed attributes.

A block (`telephony-service`, an `ephone`, an `ephone-dn`) is a `Section` whose behavioural
settings are dataclass fields declared with `line(key, render)`. Command handlers assign the
attributes; the router, the services and the phones' files read them; each field renders its
own running-config line(s), placed by its key in the block's order table (`order.py`) exactly
where a stored setting with that key would stand. Lines nothing acts on (`duplex auto`) stay
plain settings of the Section, rendered from their parsed values.

A field whose value is None renders nothing; `render` may also return None (or no lines) for a
value IOS does not print (`auto-reg-ephone` when on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from typing import Any

from cucme_lab.router.config.section import Section, Setting, next_seq

Rendered = str | Iterable[str] | None


@dataclass(frozen=True)
class LineSpec:
    """How a typed field appears in running-config: its order key and its text."""

    key: str
    render: Callable[[Any], Rendered]

    def lines(self, value: Any) -> list[str]:
        if value is None:
            return []
        out = self.render(value)
        if out is None:
            return []
        return [out] if isinstance(out, str) else list(out)


def line(key: str, render: Callable[[Any], Rendered] | None = None, *, default: Any = None,
         default_factory: Callable[[], Any] | None = None) -> Any:
    """A typed setting of a block: `mac_address: str | None = line("mac-address")`.

    Without `render` the line is `key value`.
    """
    spec = LineSpec(key, render or (lambda value: f"{key} {value}"))
    if default_factory is not None:
        return field(default_factory=default_factory, metadata={"line": spec})
    return field(default=default, metadata={"line": spec})


@cache
def typed_fields(cls: type) -> dict[str, LineSpec]:
    """The typed settings of a block class, by attribute name, in declaration order."""
    return {f.name: f.metadata["line"] for f in fields(cls) if "line" in f.metadata}


def field_default(cls: type, name: str) -> Any:
    """What an attribute holds when its line is absent (`no ...` sets it back to this)."""
    for f in fields(cls):
        if f.name == name:
            if f.default_factory is not MISSING:
                return f.default_factory()
            return None if f.default is MISSING else f.default
    raise AttributeError(f"{cls.__name__} has no setting {name!r}")


@dataclass(eq=False)
class ConfigBlock(Section):
    """A Section with typed settings; see the module docstring."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        spec = typed_fields(type(self)).get(name)
        if spec is not None:
            # Like Section.set: a line keeps its place among equals when it is set again, and a
            # value that prints nothing (None, an unprinted default) holds no place, as an unset
            # setting holds none.
            seqs: dict[str, int] = self.__dict__.setdefault("_line_seqs", {})
            if not spec.lines(value):
                seqs.pop(name, None)
            elif name not in seqs:
                seqs[name] = next_seq()

    def reset_setting(self, name: str) -> None:
        """`no <line>`: the attribute goes back to its default."""
        setattr(self, name, field_default(type(self), name))

    def typed_settings(self) -> Iterator[Setting]:
        seqs: dict[str, int] = self.__dict__.get("_line_seqs", {})
        for name, spec in typed_fields(type(self)).items():
            # No sort value of their own: among settings of the same rank a field's lines stand
            # by its seq, as stored settings do, and stay together in the order rendered (the
            # sort in `body` is stable).
            for text in spec.lines(getattr(self, name)):
                yield Setting(spec.key, text, {}, (), seqs.get(name, 0))
