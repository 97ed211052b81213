"""Reading YAML with line numbers, so a mistake is reported as file, line and field.

PyYAML's composed node tree keeps where each value started; these helpers walk it and raise
`SchemaError` naming the place, instead of a bare KeyError from a plain dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class SchemaError(ValueError):
    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        super().__init__(f"{file}:{line}: {field}: {message}")
        self.file, self.line, self.field, self.message = file, line, field, message

    def __reduce__(self):  # type: ignore[no-untyped-def]
        """Pickled with its four fields (a parallel scenario run sends results between
        processes)."""
        return type(self), (self.file, self.line, self.field, self.message)


@dataclass
class Node:
    """A YAML node with its location, and typed accessors that fail with the location."""

    node: yaml.Node
    file: str
    path: str

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def error(self, message: str, field: str | None = None) -> SchemaError:
        return SchemaError(self.file, self.line, field or self.path, message)

    # --- kinds ---------------------------------------------------------------------------
    def mapping(self, allowed: set[str] | None = None) -> dict[str, Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error("expected a mapping")
        out: dict[str, Node] = {}
        for key, value in self.node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise self.error("keys must be plain words")
            name = key.value
            where = f"{self.path}.{name}" if self.path else name
            if allowed is not None and name not in allowed:
                raise SchemaError(self.file, key.start_mark.line + 1, where,
                                  f"unknown field (expected one of: {', '.join(sorted(allowed))})")
            if name in out:
                raise SchemaError(self.file, key.start_mark.line + 1, where, "given twice")
            out[name] = Node(value, self.file, where)
        return out

    def sequence(self) -> list[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error("expected a list")
        return [Node(n, self.file, f"{self.path}[{i}]") for i, n in enumerate(self.node.value)]

    def scalar(self) -> Any:
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error("expected a single value")
        return yaml.safe_load(yaml.serialize(self.node))

    def text(self) -> str:
        value = self.scalar()
        if value is None or isinstance(value, dict | list):
            raise self.error("expected text")
        return str(value)

    def number(self, low: float | None = None, high: float | None = None) -> float:
        value = self.scalar()
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error("expected a number")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.error(f"must be between {low} and {high}")
        return value

    def choice(self, options: tuple[str, ...]) -> str:
        value = self.text()
        if value not in options:
            raise self.error(f"must be one of: {', '.join(options)}")
        return value

    def lines(self) -> list[str]:
        """A list of lines, or a block of text split into lines."""
        if isinstance(self.node, yaml.SequenceNode):
            return [n.text() for n in self.sequence()]
        return self.text().splitlines()


def load(path: Path | str) -> Node:
    path = Path(path)
    try:
        root = yaml.compose(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise SchemaError(str(path), line, "(file)", f"not valid YAML: "
                          f"{getattr(exc, 'problem', exc)}") from None
    if root is None:
        raise SchemaError(str(path), 1, "(file)", "the file is empty")
    return Node(root, str(path), "")
