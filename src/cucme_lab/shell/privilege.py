"""Per-command privilege: `privilege exec level N COMMAND` applied to EXEC parsing.

The parser filters commands by their declared level. With `privilege exec level` lines in the
configuration, a session below 15 gets the level those lines give instead: a command moved
down becomes available, one moved up is refused with the caret under its last keyword, as IOS
refuses a command it does not show at that level.
"""

from __future__ import annotations

from typing import Any

from cucme_lab.router import access as ra
from cucme_lab.shell.parser import Match, ParseError, match_line, tokenize


def adjust(session: Any, root: Any, line: str, aliases: dict[str, str],
           result: Match | ParseError) -> Match | ParseError:
    """The EXEC parse result for `line` once per-command privilege levels are applied."""
    config = session.router.config
    if session.priv >= 15 or not ra.has_privilege_overrides(config):
        return result
    full = match_line(root, line, 15, aliases,
                      first_words=session.commands.ios_words("exec"))
    if isinstance(full, ParseError):
        return result
    path = full.args.get("_path", [])
    keywords = [el.keyword for el, _ in path if el.keyword is not None]
    level = ra.command_privilege(config, keywords)
    effective = full.command.priv if level is None else level
    if effective <= session.priv:
        return full
    if isinstance(result, ParseError):
        return result
    tokens = tokenize(line)
    index = min(max(len(keywords) - 1, 0), len(tokens) - 1)
    return ParseError("invalid", tokens[index].start, index)
