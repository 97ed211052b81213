"""Output modifiers after `|`: include, exclude, begin, section, count.

The pattern is IOS's regular expression, run on RE2, whose matching takes time linear in the
text: Python's backtracking `re` took 15.6 s for `show clock | include (.|.){26}@`, twice that
for each step of the count, and the whole lab waited with it. IOS's dialect is translated
(`_` is a delimiter); the pattern's length and RE2's memory for it are bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import re2

from cucme_lab.shell.parser import _resolve_keyword, ascii_lower

FILTERS = ("append", "begin", "count", "exclude", "format", "include", "redirect", "section",
           "tee")
SUPPORTED = ("begin", "count", "exclude", "include", "section")


# The longest pattern accepted. IOS documents no limit; one line of a wide terminal is ample
# for a filter, and the bound keeps a pasted megabyte from reaching the compiler.
MAX_PATTERN = 256
# RE2's memory for one compiled pattern (its default): a pattern needing more is refused.
MAX_PATTERN_MEMORY = 8 << 20
# IOS's `_`: a comma, a brace, a parenthesis, a space, the start or end of the line; an
# underscore too (as IOS XR documents, and so that `ip_http` still finds itself).
DELIMITER = r"(?:^|$|[,{}() _])"


class Regex(Protocol):
    def search(self, text: str) -> object | None: ...


@dataclass(frozen=True)
class Pipe:
    kind: str
    regex: Regex


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would print each bad pattern on the lab's stderr
    options.max_mem = MAX_PATTERN_MEMORY
    return options


_OPTIONS = _options()


def translate(pattern: str) -> str:
    """IOS's regular expression dialect in RE2's syntax: `_` outside brackets is a delimiter.

    Escapes (`\\_` is a literal underscore) and bracket expressions are copied as they are;
    the rest of IOS's syntax (`. * + ? ^ $ | ( ) [ ]`, ranges) is RE2's too.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i:i + 2])
            i += 2
        elif ch == "[":
            end = _bracket_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif ch == "_":
            out.append(DELIMITER)
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _bracket_end(pattern: str, start: int) -> int:
    """The index after the `]` closing the bracket expression at `start` (or the end)."""
    i = start + 1
    if pattern[i:i + 1] == "^":
        i += 1
    if pattern[i:i + 1] == "]":  # a `]` first in the brackets is a member, as in POSIX
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
        elif pattern[i] == "]":
            return i + 1
        else:
            i += 1
    return len(pattern)


def compile_regex(pattern: str) -> Regex | None:
    """An IOS pattern compiled for RE2, or None (IOS's caret) when it is too long or bad."""
    if len(pattern) > MAX_PATTERN:
        return None
    try:
        return re2.compile(translate(pattern), options=_OPTIONS)
    except re2.error:
        return None


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
    kind = _resolve_keyword(ascii_lower(parts[0]), set(FILTERS), {})
    if not isinstance(kind, str) or kind not in SUPPORTED:
        return None
    pattern = parts[1] if len(parts) > 1 else ""
    if kind != "count" and not pattern:
        return None
    regex = compile_regex(pattern)
    return None if regex is None else Pipe(kind, regex)


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


def _sections(lines: list[str], regex: Regex) -> list[str]:
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
