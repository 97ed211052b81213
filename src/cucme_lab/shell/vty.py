"""The shell on a vty line: IOS line discipline over a byte stream, login, and the session.

The network services (`services.telnet`, `services.ssh`) hand each admitted connection to the
`VtyFrontend` the lab gave them, as a `Link`: a non-blocking `send(bytes)`, `close()`, and a
trio channel of input (bytes, or `("window", width, height)` when the client reports its size).
This module turns it into a `Terminal` with the IOS line discipline (server-side echo,
backspace, `\\r\\n`, `\\r\\0` or `\\n` as one Enter, `?` help and Tab from the session,
Ctrl-Z, history with Ctrl-P and Ctrl-N or the arrows, no escape codes ever written), asks for
the login the line's configuration requires (telnet; SSH authenticates in its own protocol
through `authenticate`), and runs a full shell `Session` until `exit`, hang-up, `clear line` or
`exec-timeout`.

Cursor movement inside the line (Ctrl-A/E/B/F, left and right arrows) is not offered: the
line is edited at its end only, which keeps the output free of any redraw codes.
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Callable
from typing import Any, Protocol

import trio

from cucme_lab.router import aaa
from cucme_lab.router import access as ra
from cucme_lab.shell.declarations import CommandSet
from cucme_lab.shell.modes import MODES
from cucme_lab.shell.session import Ctx, Session
from cucme_lab.shell.terminal import INTERRUPT

CTRL_Z = "\x1a"
MAX_LINE = 4096  # longer input lines are cut, never allowed to grow without bound


class Link(Protocol):
    input: trio.MemoryReceiveChannel[Any]

    def send(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class VtyTerminal:
    """A `Terminal` over a link, doing what an IOS vty does with the keys it receives."""

    interactive = True

    def __init__(self, link: Link, idle_timeout: Callable[[], float | None] = lambda: None
                 ) -> None:
        self.link = link
        self.session: Session | None = None
        self.idle_timeout = idle_timeout
        self.timed_out = False
        self.closed = False
        self.window: tuple[int, int] | None = None
        self._chars = ""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._after_cr = False
        self._eof = False

    # --- output -----------------------------------------------------------------------
    def write(self, text: str) -> None:
        if self.closed or not text:
            return
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        self.link.send(text.encode("utf-8", "replace"))

    # --- input ------------------------------------------------------------------------
    async def _fill(self) -> bool:
        """Wait for more input characters; False at end of input or idle timeout."""
        while not self._chars:
            if self._eof:
                return False
            timeout = self.idle_timeout()
            with trio.move_on_after(timeout if timeout is not None else math.inf):
                try:
                    item = await self.link.input.receive()
                except (trio.EndOfChannel, trio.ClosedResourceError):
                    self._eof = True
                    return False
                if isinstance(item, tuple) and item and item[0] == "window":
                    self._resize(int(item[1]), int(item[2]))
                    continue
                self._chars += self._decoder.decode(bytes(item))
                if self.session is not None:
                    self.session.last_input = _now()
                continue
            self.timed_out = True
            self._eof = True
            return False
        return True

    def _resize(self, width: int, height: int) -> None:
        self.window = (width, height)
        if self.session is not None:
            apply_window(self.session, width, height)

    async def key(self) -> str | None:
        """The next key, with `\\r\\n`, `\\r\\0` and `\\n` each one Enter (returned as `\\r`)."""
        while True:
            if not await self._fill():
                return None
            ch, self._chars = self._chars[0], self._chars[1:]
            after_cr, self._after_cr = self._after_cr, False
            if ch in ("\n", "\0") and after_cr:
                continue
            if ch == "\r":
                self._after_cr = True
                return "\r"
            if ch == "\n":
                return "\r"
            return ch

    async def _escape_sequence(self) -> str:
        """The rest of an ESC sequence (arrow keys): returns its final character."""
        first = await self.key()
        if first not in ("[", "O"):
            return ""
        while True:
            ch = await self.key()
            if ch is None or ch.isalpha() or ch == "~":
                return ch or ""

    # --- Terminal -------------------------------------------------------------------------
    async def read_key(self, prompt: str) -> str | None:
        self.write(prompt)
        return await self.key()

    async def readline(self, prompt: str, *, echo: bool = True) -> str | None:
        self.write(prompt)
        buf = ""
        session = self.session
        at_command = (echo and session is not None and prompt == session.prompt()
                      and not MODES[session.mode].raw)
        history = list(session.history) if at_command and session is not None else []
        hist_pos = len(history)

        def replace(new: str) -> str:
            if echo:
                self.write("\b \b" * len(buf) + new)
            return new

        while True:
            ch = await self.key()
            if ch is None:
                return None
            if ch == "\r":
                self.write("\n")
                return buf
            if ch in ("\x08", "\x7f"):
                if buf:
                    buf = buf[:-1]
                    if echo:
                        self.write("\b \b")
            elif ch in ("\x15", "\x18"):  # Ctrl-U, Ctrl-X: erase the line
                buf = replace("")
            elif ch == "\x17":  # Ctrl-W: erase the word before the cursor
                cut = len(buf.rstrip()) - len(buf.rstrip().split(" ")[-1]) if buf.strip() else 0
                buf = replace(buf[:cut])
            elif ch == CTRL_Z:
                if session is not None and session.mode != "exec" and at_command:
                    self.write("^Z\n")
                    return CTRL_Z
            elif ch == "\x03":  # Ctrl-C: leaves configuration mode like Ctrl-Z
                if session is not None and session.mode != "exec" and at_command:
                    self.write("^C\n")
                    return CTRL_Z
                if not at_command:  # a dialogue's question: the command ends there
                    self.write("^C\n")
                    return INTERRUPT
            elif ch == "\t":
                if at_command and session is not None:
                    done = session.complete(buf)
                    if done != buf:
                        buf = replace(done) if not done.startswith(buf) else \
                            self._extend(buf, done)
            elif ch == "?" and at_command and session is not None:
                text = session.help_text(buf)
                self.write(text[len(session.prompt()) + len(buf):])
                self.write(session.prompt() + buf)
            elif ch in ("\x10", "\x0e", "\x1b"):  # Ctrl-P, Ctrl-N, arrows: history
                step = {"\x10": -1, "\x0e": 1}.get(ch)
                if ch == "\x1b":
                    step = {"A": -1, "B": 1}.get(await self._escape_sequence())
                if step is None or not history:
                    continue
                hist_pos = min(max(hist_pos + step, 0), len(history))
                buf = replace(history[hist_pos] if hist_pos < len(history) else "")
            elif ch >= " " and len(buf) < MAX_LINE:
                buf += ch
                if echo:
                    self.write(ch)

    def _extend(self, buf: str, done: str) -> str:
        self.write(done[len(buf):])
        return done


def _now() -> float:
    import time

    return time.time()


def apply_window(session: Session, width: int, height: int) -> None:
    """A client's window size (telnet NAWS, SSH pty) sets the line's width and length."""
    if 0 < width <= 512:
        session.term_width = width
    if 0 < height <= 512:
        session.term_length = height


# --- AAA -------------------------------------------------------------------------------------

async def run_methods(router: Any, sec: Any, methods: list[str], user: str, password: str, *,
                      conn: ra.VtyConnection | None = None, enable: bool = False
                      ) -> ra.Verdict:
    """Walk the list through `router.aaa` (servers asked for real, within their deadlines)."""
    request = aaa.LoginRequest(user, password, port=line_port(conn),
                               rem_addr=conn.peer if conn is not None else "", enable=enable)
    if enable:
        return await aaa.walk(router, sec, methods, request)
    return await aaa.login(router, sec, methods, request)


def line_port(conn: ra.VtyConnection | None) -> str:
    """How IOS names the line to AAA servers: `tty` and the absolute line number [M]."""
    return "tty0" if conn is None else f"tty{ra.FIRST_VTY + conn.line}"


# --- the front end -------------------------------------------------------------------------

class VtyFrontend:
    """What the SSH and telnet services call: authentication, and the shell itself.

    The lab builds one with the shell's command set and gives it to the services.
    """

    def __init__(self, commands: CommandSet) -> None:
        self.commands = commands

    async def authenticate(self, router: Any, conn: ra.VtyConnection, user: str,
                           password: str) -> ra.Verdict:
        sec = ra.vty_section(router.config, conn.line)
        methods = ra.login_methods(router.config, sec)
        if not methods:
            return ra.Verdict(True, ra.line_privilege(sec), "none")
        verdict = await run_methods(router, sec, methods, user, password, conn=conn)
        if not verdict.ok:
            login_failed(router, conn, user)
        else:
            login_succeeded(router, conn, user)
        return verdict

    async def serve(self, router: Any, conn: ra.VtyConnection, link: Link,
                    command: str | None = None) -> None:
        """Run the line until the session ends; `command`: an SSH exec request's command."""
        state = router.vty
        state.uses[conn.line] = state.uses.get(conn.line, 0) + 1
        terminal = VtyTerminal(link, lambda: ra.exec_timeout(
            ra.vty_section(router.config, conn.line)))
        session: Session | None = None
        try:
            with trio.CancelScope() as scope:
                conn.hangup = scope.cancel
                if conn.protocol == "telnet" and not await telnet_login(router, conn, terminal):
                    return
                session = Session(router, terminal, self.commands, user=conn.user or "",
                                  line_name=f"vty {conn.line}", origin=conn.origin,
                                  priv=conn.priv, line_number=ra.FIRST_VTY + conn.line,
                                  remote_address=conn.peer)
                conn.session = session
                terminal.session = session
                if terminal.window:
                    apply_window(session, *terminal.window)
                accounting = aaa.ExecAccounting.begin(router, conn.user or "", line_port(conn),
                                                      conn.peer,
                                                      ra.vty_section(router.config, conn.line))
                try:
                    if command is not None:
                        await run_exec_request(session, command)
                    else:
                        terminal.write("\n")
                        await session.run()
                finally:
                    accounting.end()
        finally:
            if session is not None:
                session.close()
            state.release(conn)
            terminal.closed = True
            link.close()


def login_failed(router: Any, conn: ra.VtyConnection, user: str) -> None:
    stamp = router.clock.config_stamp()
    ra.record_failure(router, user, conn.peer, conn.local_port, stamp)
    if router.config.login_on_failure is not None:
        router.log.log(f"%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: {user}] [Source: "  # [C]
                       f"{conn.peer}] [localport: {conn.local_port}] [Reason: Login "
                       f"Authentication Failed] at {stamp}")


def login_succeeded(router: Any, conn: ra.VtyConnection, user: str) -> None:
    if router.config.login_on_success is not None:
        router.log.log(f"%SEC_LOGIN-5-LOGIN_SUCCESS: Login Success [user: {user}] [Source: "  # [C]
                       f"{conn.peer}] [localport: {conn.local_port}] at "
                       f"{router.clock.config_stamp()}")


async def telnet_login(router: Any, conn: ra.VtyConnection, terminal: VtyTerminal) -> bool:
    """The telnet login dialogue of the line's method list; True once the user is in.

    Texts per ios-cli.md 3.2: `User Access Verification`, `Username: `, `Password: `;
    `% Login invalid` (login local), `% Bad passwords` (line password, after three tries),
    `% Authentication failed` with AAA [M]; `Password required, but none set` and a hang-up
    when `login` has no password to check.

    Each prompt must be answered within `timeout login response` (30 s), keys typed meanwhile
    or not: a connection that says nothing gives its vty line back instead of holding it.
    """
    config = router.config
    sec = ra.vty_section(config, conn.line)
    methods = ra.login_methods(config, sec)
    if not methods:
        conn.priv = ra.line_privilege(sec)
        return True
    if methods == ["line"] and not ra.line_password_set(sec):
        terminal.write("\n\nPassword required, but none set\n")
        return False
    terminal.write("\n\nUser Access Verification\n\n")
    under_aaa = ra.aaa_enabled(config)
    ask_user = ra.needs_username(methods)
    timeout = ra.login_response_timeout(sec)
    for _attempt in range(3):
        user = ""
        if ask_user:
            answer = await _answer(terminal, "Username: ", timeout)
            if answer is None:
                return False
            user = answer.strip()
        password = await _answer(terminal, "Password: ", timeout, echo=False)
        if password is None:
            return False
        verdict = await run_methods(router, ra.vty_section(config, conn.line), methods, user,
                                    password, conn=conn)
        if verdict.ok:
            conn.user, conn.priv = (user or None), verdict.priv
            login_succeeded(router, conn, user)
            return True
        login_failed(router, conn, user)
        if getattr(verdict, "authorization_failed", False):
            terminal.write("% Authorization failed.\n\n")  # [M]
            return False
        if under_aaa:
            terminal.write("% Authentication failed\n\n")  # [M]
        elif ask_user:
            terminal.write("% Login invalid\n\n")  # [C] spec 3.2
    if not ask_user:
        terminal.write("% Bad passwords\n\n")  # [C] spec 3.2
    return False


async def _answer(terminal: VtyTerminal, prompt: str, timeout: float | None, *,
                  echo: bool = True) -> str | None:
    """The answer to a login prompt, or None when the line hung up or `timeout` passed."""
    with trio.move_on_after(timeout if timeout is not None else math.inf):
        answer = await terminal.readline(prompt, echo=echo)
        return "" if answer == INTERRUPT else answer  # Ctrl-C: an empty answer, as before
    terminal.write(f"\n% {prompt.strip()}  timeout expired!\n")  # [M] IOS's text
    return None


async def run_exec_request(session: Session, command: str) -> None:
    """`ssh router show version`: the command's output, no prompt, then the channel closes."""
    for line in command.replace("\r", "\n").split("\n"):
        if line.strip() and not session.closed:
            await session.handle(line)


async def aaa_enable(c: Ctx, level: int) -> bool:
    """`enable` under `aaa authentication enable default ...`: the list decides.

    Each failure prints `% Access denied`, and the third `% Bad secrets` too (ios-cli.md 3.1).
    Returns False when the list leaves the decision to the usual enable check (not used here:
    a list that is configured always decides).
    """
    session = c.session
    methods = ra.enable_methods(c.router.config) or []
    conn = c.router.vty.connections.get(session.line_number - ra.FIRST_VTY)
    sec = ra.vty_section(c.router.config, conn.line) if conn else None
    if methods and all(m == "none" for m in methods[:1]):
        session.priv = level
        return True
    for attempt in range(3):
        answer = await c.ask("Password: ", echo=False)
        if answer is None:
            return True
        verdict = await run_methods(c.router, sec, methods, session.user, answer, conn=conn,
                                    enable=True)
        if verdict.ok:
            session.priv = level
            return True
        c.out("% Access denied")  # [C] spec 3.1
        if attempt == 2:
            c.out("% Bad secrets\n")  # [C] spec 3.1
    return True

