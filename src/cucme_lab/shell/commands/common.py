"""Helpers shared by command declarations: canonical lines, plain settings, sub-mode entry.

Most configuration lines are settings: one line in a section, keyed by its keywords, shown in
running-config exactly as the parsed values spell it (full keywords, normalised values). The
`setting` declaration stores such a line; commands with more behaviour write their own handler.
Each command module declares into its own `CommandDeclarations`:

    DECLARED = CommandDeclarations()
    command, setting, flag = DECLARED.command, DECLARED.setting, DECLARED.flag
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cucme_lab.router.config.model import ConfigBlock, typed_fields
from cucme_lab.router.config.section import Section
from cucme_lab.shell.declarations import Declarations
from cucme_lab.shell.grammar import Element, slot_names
from cucme_lab.shell.modes import CONFIG_MODES
from cucme_lab.shell.session import Ctx, SessionClosed

ALL_CONFIG = sorted(m for m in CONFIG_MODES if m != "config-pubkey")
SUB_MODES = [m for m in ALL_CONFIG if m != "config"]


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    return str(value)


def canonical(args: dict[str, Any], start: int = 0) -> str:
    """The line as IOS prints it: full keywords, normalised values, single spaces."""
    words: list[str] = []
    for el, value in args.get("_path", [])[start:]:
        el: Element
        if el.keyword is not None:
            words.append(el.display or el.keyword)
        else:
            words.append(fmt(value))
    return " ".join(w for w in words if w)


def leading_key(args: dict[str, Any]) -> str:
    """The keywords before the first value: `ip source-address`, `service phone`."""
    words = []
    for el, _ in args.get("_path", []):
        if el.keyword is None or el.value is not None:
            break
        words.append(el.keyword)
    return " ".join(words)


def section_of(c: Ctx) -> Section:
    return c.target if isinstance(c.target, Section) else c.router.config


Render = Callable[[dict[str, Any]], str]


class CommandDeclarations(Declarations):
    """A command module's declarations, with the plain settings and switches most lines are."""

    def setting(self, modes: str | Iterable[str], syntax: str, *, key: str | None = None,
                render: Render | None = None,
                sort: Callable[[dict[str, Any]], tuple] | None = None,
                help: dict[str, str] | None = None, no: str | bool = True,
                check: Callable[[Ctx], bool] | None = None) -> None:
        """Declare a line stored as a setting of the current section.

        `key` may name values (`"service phone {name}"`); `no` with the values missing removes
        every line under the key's fixed words. `check` may print an IOS error and return False
        to refuse.
        """

        def handler(c: Ctx) -> None:
            sec = section_of(c)
            if c.no or c.default:
                _remove(sec, key, c.args)
                return
            if check is not None and not check(c):
                return
            k = key.format(**c.args) if key else leading_key(c.args)
            line = render(c.args) if render else canonical(c.args)
            sec.set(k, line, {k2: v for k2, v in c.args.items() if k2 != "_path"},
                    sort(c.args) if sort else ())

        handler.__name__ = "setting_" + syntax.split()[0].replace("-", "_")
        self.command(modes, syntax, help=help, no=no)(handler)

    def flag(self, modes: str | Iterable[str], syntax: str, *, on: str,
             off: str | None = None, key: str | None = None, default_on: bool = False,
             help: dict[str, str] | None = None) -> None:
        """A switch such as `cdp run` / `no cdp run`: IOS prints the `no` line when it is off."""

        def handler(c: Ctx) -> None:
            sec = section_of(c)
            k = key or leading_key(c.args)
            enabled = not c.no if not c.default else default_on
            if enabled == default_on and (off is None or enabled):
                sec.unset(k)
                return
            if not enabled and off is None:
                sec.unset(k)
                return
            sec.set(k, on if enabled else off, {"enabled": enabled})

        handler.__name__ = "flag_" + syntax.split()[0].replace("-", "_")
        self.command(modes, syntax, help=help)(handler)

    def typed_setting(self, mode: str, block: type[ConfigBlock], syntax: str, attr: str,
                      value: Callable[[dict[str, Any]], Any] | None = None, *,
                      help: dict[str, str] | None = None, no: str | bool = True,
                      check: Callable[[Ctx], bool] | None = None) -> None:
        """Declare a line that sets one typed attribute of the mode's block.

        Without `value`, the attribute takes the syntax's one slot as parsed. `no` (and
        `default`) put the attribute back to its default. A misspelled attribute, or a syntax
        whose slots do not say the value, fails here, when the declaration is made.
        """
        if attr not in typed_fields(block):
            raise DeclarationError(f"{mode}: {block.__name__} has no typed setting {attr!r} "
                                   f"(declared by {syntax!r})")
        if value is None:
            slots = slot_names(syntax)
            if len(slots) != 1:
                raise DeclarationError(f"{syntax!r} has slots {slots}: say how {attr} is made")
            slot = slots[0]

            def value(args: dict[str, Any]) -> Any:
                return args[slot]

        def handler(c: Ctx) -> None:
            target = section_of(c)  # the root block in global configuration mode
            if not isinstance(target, block):
                raise DeclarationError(f"{syntax!r} typed in {mode} outside a {block.__name__}")
            if c.no or c.default:
                target.reset_setting(attr)
                return
            if check is not None and not check(c):
                return
            setattr(target, attr, value(c.args))

        handler.__name__ = f"set_{block.__name__}_{attr}"
        self.command(mode, syntax, help=help, no=no)(handler)


class DeclarationError(Exception):
    """A declaration that does not fit the configuration model (raised when it is made)."""


def _remove(sec: Section, key: str | None, args: dict[str, Any]) -> None:
    if key is None:
        sec.unset_prefix(leading_key(args))
        return
    try:
        sec.unset(key.format(**args))
    except (KeyError, IndexError):
        sec.unset_prefix(key.split("{")[0].strip())


def error(c: Ctx, text: str) -> None:
    c.out(text)


# --- navigation, present in every configuration mode ----------------------------------------

DECLARED = CommandDeclarations()
command = DECLARED.command


@command(ALL_CONFIG, "exit", no=False, help={"exit": "Exit from configure mode"})
def exit_mode(c: Ctx) -> None:
    c.session.exit_mode()


@command(ALL_CONFIG, "end", no=False, help={"end": "Exit from configure mode"})
def end_mode(c: Ctx) -> None:
    c.session.end_config()


@command(ALL_CONFIG, "do LINE:command", no=False)
async def do_exec(c: Ctx) -> None:
    await c.session.run_exec_line(c.line, c.args["command"])


def exec_exit(c: Ctx) -> None:
    raise SessionClosed
