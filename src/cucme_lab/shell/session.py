"""A shell session: mode stack, privilege, terminal settings, and the IOS line discipline.

It turns each typed line into a matched command (with abbreviation, `no`/`default`, `do`, the
sub-mode fall-through and pipes), runs its handler, and prints errors exactly as IOS does.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cucme_lab.router import aaa
from cucme_lab.router.router import Router
from cucme_lab.shell import output
from cucme_lab.shell.declarations import CommandSet
from cucme_lab.shell.modes import CONFIG_MODES, MODES
from cucme_lab.shell.parser import (
    HelpEntry,
    Match,
    ParseError,
    _resolve_keyword,
    ascii_lower,
    match_line,
    options_at,
    tokenize,
    words_at,
)
from cucme_lab.shell.terminal import INTERRUPT, Terminal

INVALID = "% Invalid input detected at '^' marker."
UNDECODABLE = "\ufffd"  # what the vty and script readers make of bytes that are not UTF-8
INCOMPLETE = "% Incomplete command."
# What IOS prints for a bare `show` (`s`, `sh`) instead of INCOMPLETE, with no blank line after
# (real captures: `R3#sh`, `P-RR#sh`).
SHOW_HINT = '% Type "show ?" for a list of subcommands'
PIPEABLE = ("show", "more", "dir")


@dataclass
class Frame:
    mode: str
    target: Any = None


class SessionClosed(Exception):
    """Raised inside a handler to end the session (`exit` in EXEC, `logout`)."""


class DialogueAborted(Exception):
    """Ctrl-C at a dialogue's question: the command ends there, nothing after it runs."""


class UndeclaredArgument(KeyError):
    """A handler asked for a name its command's syntax does not declare (a renamed slot)."""


class Args(dict[str, Any]):
    """A command's parsed arguments; asking for a name the syntax never declares is an error.

    Without this, renaming a slot in a declaration (`cor incoming WORD:list` to `:corlist`)
    would leave a handler's `args.get("list")` silently None.
    """

    def __init__(self, values: dict[str, Any], declared: frozenset[str]) -> None:
        super().__init__(values)
        self.declared = declared

    def _check(self, name: str) -> None:
        if name not in self.declared:
            raise UndeclaredArgument(f"the command declares no argument {name!r}")

    def __getitem__(self, name: str) -> Any:
        self._check(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        self._check(name)
        return super().get(name, default)


@dataclass
class Ctx:
    """What a command handler sees: parsed arguments, the router, and the session."""

    session: Session
    args: dict[str, Any]
    no: bool = False
    default: bool = False
    target: Any = None
    line: str = ""

    @property
    def router(self) -> Router:
        return self.session.router

    def arg(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)

    def out(self, text: str = "") -> None:
        self.session.emit(text + "\n")

    def enter(self, mode: str, target: Any = None) -> None:
        self.session.enter(mode, target)

    def log(self, message: str) -> None:
        self.router.log.log(message)

    async def ask(self, prompt: str, *, echo: bool = True) -> str | None:
        return await self.session.ask(prompt, echo=echo)

    async def confirm(self, prompt: str) -> bool:
        """`[confirm]` questions: Enter or `y` accepts, anything else declines; Ctrl-C ends
        the command (DialogueAborted)."""
        self.session.flush()
        key = await self.session.terminal.read_key(prompt)
        if key == INTERRUPT:
            raise DialogueAborted
        return key is not None and key in ("\r", "\n", "y", "Y")


@dataclass
class Session:
    """A shell on one line: it parses with `commands` (`shell.commands.command_set()`)."""

    router: Router
    terminal: Terminal
    commands: CommandSet
    user: str = "console"
    line_name: str = "con 0"
    origin: str = "console"  # "console" or "vty0 (127.0.0.1)" style origin for syslog
    priv: int = 1
    stack: list[Frame] = field(default_factory=lambda: [Frame("exec")])
    term_length: int = 24
    term_width: int = 80
    monitor: bool = False
    history: list[str] = field(default_factory=list)
    pending: str = ""
    closed: bool = False
    config_changed: bool = False
    _buf: list[str] = field(default_factory=list)
    _held_logs: list[str] | None = None
    on_exit_config: list[Callable[[], None]] = field(default_factory=list)
    line_number: int = 0
    controls: Callable[[str], Awaitable[str]] | None = None  # the lab's `:` lines, if any
    remote_address: str | None = None
    last_input: float = field(default_factory=time.time)
    booting: bool = False  # typing the startup-config at power-on (`shell.boot`)

    def __post_init__(self) -> None:
        self.router.log.subscribe(self._on_log)
        if not self.terminal.interactive:
            self.term_length = 0
        if self.origin != "startup":
            self.router.sessions.append(self)

    # --- prompt and modes --------------------------------------------------------------
    @property
    def mode(self) -> str:
        return self.stack[-1].mode

    def prompt(self) -> str:
        mode = MODES[self.mode]
        if self.mode == "exec":
            return self.router.hostname + ("#" if self.priv >= 2 else ">")  # 2-15: privileged
        return self.router.hostname + mode.prompt + "#"

    def enter(self, mode: str, target: Any = None) -> None:
        parent = MODES[mode].parent
        while len(self.stack) > 1 and self.mode != parent and self.mode != "config":
            self.stack.pop()
        if parent == "config":
            del self.stack[2:]
        self.stack.append(Frame(mode, target))

    def enter_config(self) -> None:
        del self.stack[1:]
        self.stack.append(Frame("config"))

    def exit_mode(self) -> None:
        if self.mode == "config":
            self.end_config()
        elif len(self.stack) > 1:
            self.stack.pop()

    def end_config(self) -> None:
        in_config = self.mode in CONFIG_MODES
        del self.stack[1:]
        if in_config:  # IOS logs leaving configuration mode, changed or not
            self.config_changed = False
            # [C] spec 2.5
            self.router.log.log(f"%SYS-5-CONFIG_I: Configured from {self.config_origin()}")

    def config_origin(self) -> str:
        if self.origin == "console":
            return "console by console"
        if not self.user:  # a vty login with the line password only: no user name
            return f"console by {self.origin}"
        return f"console by {self.user} on {self.origin}"

    def close(self) -> None:
        self.closed = True
        self.router.log.unsubscribe(self._on_log)
        if self in self.router.sessions:
            self.router.sessions.remove(self)

    # --- output ------------------------------------------------------------------------
    def emit(self, text: str) -> None:
        self._buf.append(text)

    def flush(self) -> None:
        if self._buf:
            self.terminal.write("".join(self._buf))
            self._buf.clear()

    def _on_log(self, line: str) -> None:
        if self.closed or not (self.origin == "console" or self.monitor):
            return
        log = self.router.log  # `logging console|monitor LEVEL` judged the line being told
        if not (log.to_console if self.origin == "console" else log.to_monitor):
            return
        if self._held_logs is not None:
            self._held_logs.append(line)
            return
        self.flush()
        self.terminal.write(line + "\n")

    async def ask(self, prompt: str, *, echo: bool = True) -> str | None:
        """A dialogue's question: the answer, None at end of input; Ctrl-C ends the command
        (DialogueAborted), whatever the dialogue would have made of an answer."""
        self.flush()
        answer = await self.terminal.readline(prompt, echo=echo)
        if answer == INTERRUPT:
            raise DialogueAborted
        return answer

    # --- the read-eval loop ------------------------------------------------------------
    async def run(self) -> None:
        """Read lines until the input ends or the session is closed."""
        while not self.closed:
            text = await self.terminal.readline(self.prompt() + self.pending)
            if text is None:
                break
            text = self.pending + text
            self.pending = ""
            await self.handle(text)
        self.close()

    async def handle(self, line: str) -> None:
        """Process one line as typed at the prompt (including a trailing `?`)."""
        line = line.replace("\t", " ").rstrip("\r\n")
        self.last_input = time.time()
        try:
            if line.endswith("?") and not MODES[self.mode].raw:
                self.pending = self.help(line[:-1])
                return
            await self._execute(line)
        except SessionClosed:
            self.close()
        finally:
            self.flush()

    async def _execute(self, line: str) -> None:
        frame = self.stack[-1]
        if MODES[frame.mode].raw:
            await frame.target.raw_line(self, line)
            return
        stripped = line.strip()
        if not stripped or stripped.startswith("!"):
            return
        if UNDECODABLE in line:  # bytes that were not UTF-8: the caret under the first
            self.print_error(line, ParseError("invalid", line.index(UNDECODABLE)))
            return
        if stripped.startswith(":") and self.controls is not None:
            self.emit(await self.controls(stripped[1:]))  # lab controls, outside IOS
            return
        if stripped.upper() == "\x1a" or stripped == "^Z":
            self.end_config()
            return
        self.history.append(line)
        body, pipe = output.split_pipe(line)
        result = self.resolve(body)
        if pipe is not None and not isinstance(result, ParseError) and \
                result[1].command.handler.__name__ == "do_exec":
            body, pipe = line, None  # `do show ... | include x`: the pipe belongs to the EXEC line
            result = self.resolve(body)
        if isinstance(result, ParseError):
            self.print_error(line, result)
            return
        depth, match, negated, defaulted = result
        if pipe is not None and match.command.syntax.split()[0] not in PIPEABLE:
            self.print_error(line, ParseError("invalid", len(body.rstrip()) + 1))
            return
        if pipe is not None:
            filt = output.parse_pipe(pipe)
            if filt is None:
                self.print_error(line, ParseError("invalid", len(body) + 1))
                return
        del self.stack[depth + 1:]
        await self.run_command(match, negated, defaulted, line, pipe)

    def resolve(self, line: str) -> tuple[int, Match, bool, bool] | ParseError:
        """Find the command in this mode or, failing that, in the modes above it.

        IOS resolves a line in the current mode first: an abbreviation that fits there (`exi`
        in a trustpoint) is that mode's command, never an upper mode's. Only a first word typed
        in full in an upper mode wins over a prefix here: `ephone 2` typed in an ephone is the
        global `ephone`, not the sub-mode's `ephone-template`.
        """
        best: ParseError | None = None
        abbreviated: tuple[int, Match, bool, bool] | None = None
        for depth in range(len(self.stack) - 1, -1, -1):
            mode = self.stack[depth].mode
            if depth != len(self.stack) - 1 and mode == "exec":
                break
            result = self._match_in(mode, line)
            if not isinstance(result, ParseError):
                exact = _first_word_exact(result[0], line)
                if abbreviated is not None and not exact:
                    return abbreviated
                if abbreviated is None and depth > 1 and not exact:
                    abbreviated = (depth, *result)
                    continue
                return (depth, *result)
            if abbreviated is not None:
                if mode == "config":
                    break
                continue
            # the error shown is the one from the mode whose parse got furthest
            if best is None or (result.kind != "incomplete" and best.kind != "incomplete"
                                and result.position > best.position):
                best = result
            if mode == "config":
                break
        if abbreviated is not None:
            return abbreviated
        assert best is not None
        return best

    def _match_in(self, mode: str, line: str) -> tuple[Match, bool, bool] | ParseError:
        t = self.commands.trees(mode)
        al = self.commands.aliases(mode)
        priv = self.priv if mode == "exec" else 15
        negation = self._negation(mode, line)
        if negation:
            result = match_line(t.negative.root, line, priv, al, skip=1)
            if isinstance(result, ParseError) and result.kind == "incomplete" and \
                    len(tokenize(line)) == 1:
                return ParseError("incomplete", len(line))
            return result if isinstance(result, ParseError) else (
                result, negation == "no", negation == "default")
        result = match_line(t.positive.root, line, priv, al,
                            first_words=self.commands.ios_words(mode))
        if mode == "exec":  # `privilege exec level N COMMAND`
            from cucme_lab.shell.privilege import adjust

            result = adjust(self, t.positive.root, line, al, result)
        return result if isinstance(result, ParseError) else (result, False, False)

    def _negation(self, mode: str, line: str) -> str | None:
        if mode not in CONFIG_MODES:
            return None
        tokens = tokenize(line)
        if not tokens:
            return None
        keywords = {c.element.keyword for c in self.commands.trees(mode).positive.root.children
                    if c.element.keyword}
        word = _resolve_keyword(ascii_lower(tokens[0].text), keywords, self.commands.aliases(mode))
        return word if word in ("no", "default") else None

    async def run_command(self, match: Match, negated: bool, defaulted: bool, line: str,
                          pipe: str | None) -> None:
        ctx = Ctx(self, Args(match.args, match.command.names), negated, defaulted,
                  self.stack[-1].target, line)
        is_config = match.command.mode in CONFIG_MODES
        self._account(match, is_config, line)
        self._held_logs = [] if pipe else None
        aborted = False
        try:
            result = match.command.handler(ctx)
            if inspect.isawaitable(result):
                await result
        except DialogueAborted:
            aborted = True
        finally:
            held, self._held_logs = self._held_logs, None
        if is_config and not aborted and match.command.handler.__name__ not in (
                "do_exec", "exit_mode", "end_mode"):
            self.config_changed = True
            self.router.mark_changed(self.user)
        text = "".join(self._buf)
        self._buf.clear()
        if pipe:
            text = output.apply_pipe(text, output.parse_pipe(pipe))
        await self.page(text)
        for log_line in held or []:
            self.terminal.write(log_line + "\n")

    def _account(self, match: Match, is_config: bool, line: str) -> None:
        """`aaa accounting commands N`: a record for the command at its level (config: 15)."""
        if self.router.config.accounting_commands:
            level = 15 if is_config else match.command.priv
            aaa.command_typed(self.router, self.user, level, f"tty{self.line_number}",
                              self.remote_address or "", line)

    async def run_exec_line(self, line: str, sub: str) -> None:
        """`do CMD` from a configuration mode: run CMD as privileged EXEC, carets in place."""
        offset = line.find(sub)
        body, pipe = output.split_pipe(sub)
        result = self._match_in("exec", body)
        if isinstance(result, ParseError):
            result.position += offset
            self.print_error(line, result, exec_rules=False)
            return
        match, _, _ = result
        if pipe is not None and (match.command.syntax.split()[0] not in PIPEABLE
                                 or output.parse_pipe(pipe) is None):
            self.print_error(line, ParseError("invalid", offset + len(body) + 1),
                             exec_rules=False)
            return
        await self.run_command(match, False, False, sub, pipe)

    async def page(self, text: str) -> None:
        """Write command output, pausing at ` --More-- ` every screen when paging is on."""
        if self.term_length <= 0 or not self.terminal.interactive:
            self.terminal.write(text)
            return
        lines = text.splitlines(keepends=True)
        shown, page = 0, self.term_length - 1
        while shown < len(lines):
            chunk = lines[shown:shown + page]
            self.terminal.write("".join(chunk))
            shown += len(chunk)
            if shown >= len(lines):
                break
            key = await self.terminal.read_key(" --More-- ")
            self.terminal.write("\b" * 9 + " " * 9 + "\b" * 9)
            if key == " ":
                page = self.term_length - 1
            elif key in ("\r", "\n"):
                page = 1
            else:
                break

    # --- errors ------------------------------------------------------------------------
    def print_error(self, line: str, error: ParseError, exec_rules: bool = True) -> None:
        prompt_len = len(self.prompt())
        if error.kind == "ambiguous":
            self.emit(f'% Ambiguous command:  "{line.strip()}"\n')  # [C] spec 2.1
            return
        if error.kind == "incomplete":
            if self._bare_show(line):
                self.emit(SHOW_HINT + "\n")
                return
            self.emit(INCOMPLETE + "\n\n")
            return
        tokens = tokenize(line)
        if exec_rules and self.mode == "exec" and tokens and error.token_index == 0:
            if len(tokens) == 1:
                self.emit(self.translating(tokens[0].text))
                return
            error = ParseError("invalid", tokens[1].start, 1)
        self.emit(" " * (prompt_len + error.position) + "^\n" + INVALID + "\n\n")

    def _bare_show(self, line: str) -> bool:
        """Is `line` (or the EXEC line after `do`) `show` alone, abbreviated or not?"""
        tokens = [ascii_lower(t.text) for t in tokenize(line)]
        if self.mode != "exec":
            if len(tokens) != 2 or \
                    _resolve_keyword(tokens[0], {"do", "default"}, {}) != "do":
                return False
            tokens = tokens[1:]
        if len(tokens) != 1:
            return False
        words = self.commands.ios_words("exec")
        return _resolve_keyword(tokens[0], set(words), self.commands.aliases("exec")) == "show"

    def translating(self, word: str) -> str:
        if self.router.config.value("ip domain lookup", "enabled", True):
            server = self.router.config.value("ip name-server", "address", "255.255.255.255")
            head = f'Translating "{word}"...domain server ({server})\n'
        else:
            head = f'Translating "{word}"\n'
        return head + "% Unknown command or computer name, or unable to find computer address\n"

    # --- `?` and Tab -------------------------------------------------------------------
    def _help_tree(self, line: str) -> tuple[Any, int, str]:
        mode = self.mode
        tokens = tokenize(line)
        past_first = bool(tokens) and (line.endswith(" ") or len(tokens) > 1)
        if past_first and mode in CONFIG_MODES and _resolve_keyword(
                ascii_lower(tokens[0].text), {"do", "default"}, {}) == "do":
            # `do ?`, `do sh?`: IOS helps with the EXEC command after `do` ([M])
            return self.commands.trees("exec").positive.root, 1, "exec"
        negation = self._negation(mode, line) if past_first else None
        t = self.commands.trees(mode)
        if negation:
            return t.negative.root, 1, mode
        return t.positive.root, 0, mode

    def help(self, before: str) -> str:
        """Print `?` help for the text before the `?`; return the text to keep in the buffer."""
        prompt_len = len(self.prompt())
        root, skip, mode = self._help_tree(before)
        priv = self.priv if mode == "exec" else 15
        al = self.commands.aliases(mode)
        if before == "" or before.endswith(" "):
            entries = options_at(root, before, priv, al, skip)
            if isinstance(entries, ParseError):
                self._help_error(before, entries, prompt_len)
            else:
                if not before.strip():
                    self.emit(MODES[mode].header + "\n")
                self.emit(format_listing(entries) + "\n")
            return before
        tokens = tokenize(before)
        partial = tokens[-1].text
        head = before[: tokens[-1].start]
        words = words_at(root, head, partial, priv, al, skip)
        if isinstance(words, ParseError):
            self._help_error(before, words, prompt_len)
        elif not words:
            self.emit("% Unrecognized command\n")  # [M] spec 2.2
        else:
            target = al.get(ascii_lower(partial)) if len(tokens) == skip + 1 else None
            if target in words:  # IOS lists a default alias first: `*s=show  send  set ...`
                words = [f"*{ascii_lower(partial)}={target}", *words]
            self.emit("  ".join(words) + "  \n\n")
        return before

    def help_text(self, before: str) -> str:
        """`?` for a line editor that keeps its own buffer: the echoed line and the help."""
        self.flush()
        self.help(before)
        text = "".join(self._buf)
        self._buf.clear()
        return f"{self.prompt()}{before}?\n{text}"

    def _help_error(self, before: str, error: ParseError, prompt_len: int) -> None:
        if error.kind == "ambiguous":
            self.emit(f'% Ambiguous command:  "{before.strip()}"\n')  # [C] spec 2.1
        else:
            self.emit(" " * (prompt_len + error.position) + "^\n" + INVALID + "\n\n")

    def complete(self, text: str) -> str:
        """Tab: complete the last word when it is a unique prefix; otherwise leave the line."""
        tokens = tokenize(text)
        if not tokens or text.endswith(" "):
            return text
        root, skip, mode = self._help_tree(text)
        priv = self.priv if mode == "exec" else 15
        al = self.commands.aliases(mode)
        partial = tokens[-1].text
        words = words_at(root, text[: tokens[-1].start], partial, priv, al, skip)
        if isinstance(words, ParseError) or not words:
            return text
        if len(tokens) == skip + 1:  # a first word: unique among IOS's words, not only ours
            low = ascii_lower(partial)
            words = sorted({*words, *(w for w in self.commands.ios_words(mode)
                                      if w.startswith(low))})
        if len(words) != 1:
            return text
        return text[: tokens[-1].start] + words[0] + " "


def _first_word_exact(match: Match, line: str) -> bool:
    path = match.args.get("_path", [])
    tokens = tokenize(line)
    if not path or not tokens or path[0][0].keyword is None:
        return True
    first = ascii_lower(tokens[0].text)
    if first in ("no", "default") and len(path) and len(tokens) > 1:
        first = ascii_lower(tokens[1].text)
    return path[0][0].keyword == first


def format_listing(entries: list[HelpEntry]) -> str:
    width = max(len(e.label) for e in entries) + 2 if entries else 0
    lines = []
    for e in entries:
        lines.append(f"  {e.label}" if not e.help else f"  {e.label:<{width}}{e.help}")
    return "\n".join(lines) + "\n"

