"""Output modifiers after `|`: include, exclude, begin, section, count."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cucme_lab.shell.parser import _resolve_keyword

FILTERS = ("append", "begin", "count", "exclude", "format", "include", "redirect", "section",
           "tee")
SUPPORTED = ("begin", "count", "exclude", "include", "section")


@dataclass(frozen=True)
class Pipe:
    kind: str
    regex: re.Pattern[str]


def split_pipe(line: str) -> tuple[str, str | None]:
    """Split `show run | s tele` into the command and the modifier text."""
    m = re.search(r"\s\|", line)
    if not m:
        return line, None
    return line[: m.start()], line[m.end():].strip()


def parse_pipe(text: str) -> Pipe | None:
    parts = text.split(None, 1)
    if not parts:
        return None
    kind = _resolve_keyword(parts[0].lower(), set(FILTERS), {})
    if not isinstance(kind, str) or kind not in SUPPORTED:
        return None
    pattern = parts[1] if len(parts) > 1 else ""
    if kind != "count" and not pattern:
        return None
    try:
        return Pipe(kind, re.compile(pattern))
    except re.error:
        return None


def apply_pipe(text: str, pipe: Pipe | None) -> str:
    if pipe is None:
        return text
    lines = text.splitlines()
    if pipe.kind == "include":
        kept = [ln for ln in lines if pipe.regex.search(ln)]
    elif pipe.kind == "exclude":
        kept = [ln for ln in lines if not pipe.regex.search(ln)]
    elif pipe.kind == "begin":
        kept = []
        for i, ln in enumerate(lines):
            if pipe.regex.search(ln):
                kept = lines[i:]
                break
    elif pipe.kind == "count":
        n = sum(1 for ln in lines if pipe.regex.search(ln))
        return f"Number of lines which match regexp = {n}\n"
    else:
        kept = _sections(lines, pipe.regex)
    return "".join(ln + "\n" for ln in kept)


def _sections(lines: list[str], regex: re.Pattern[str]) -> list[str]:
    """Whole top-level blocks (a line and its indented children) in which a line matches."""
    kept: list[str] = []
    block: list[str] = []

    def close() -> None:
        if block and any(regex.search(ln) for ln in block):
            kept.extend(block)

    for ln in lines:
        if ln[:1] in (" ", "\t") and block:
            block.append(ln)
        else:
            close()
            block = [ln]
    close()
    return kept
