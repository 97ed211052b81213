"""The router's console on the user's terminal, with prompt_toolkit.

prompt_toolkit runs on asyncio, so it lives in a worker thread: the trio side asks for a line
with `trio.to_thread.run_sync` and the thread runs one prompt at a time. `?` and Tab call the
shell session's own help and completion (the trio side is parked while a prompt is open), so the
console offers exactly what the parser accepts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import trio
from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout.processors import PasswordProcessor

from cucme_lab.shell.terminal import INTERRUPT

if TYPE_CHECKING:
    from cucme_lab.shell.session import Session

CTRL_Z = "\x1a"


class ConsoleTerminal:
    """A `Terminal` on the process's own TTY."""

    interactive = True

    def __init__(self, toolbar: Callable[[], str] | None = None) -> None:
        self.session: Session | None = None
        self._history = InMemoryHistory()
        extra = {"bottom_toolbar": toolbar, "refresh_interval": 1.0} if toolbar else {}
        self._line_prompt = PromptSession(history=self._history,
                                          key_bindings=self._line_bindings(),
                                          enable_history_search=False, **extra)
        self._secret_prompt = PromptSession(input_processors=[PasswordProcessor(char="")])

    # --- Terminal ------------------------------------------------------------------------
    def write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    async def readline(self, prompt: str, *, echo: bool = True) -> str | None:
        return await trio.to_thread.run_sync(self._read_line, prompt, echo)

    async def read_key(self, prompt: str) -> str | None:
        return await trio.to_thread.run_sync(self._read_key, prompt)

    # --- worker-thread side --------------------------------------------------------------
    def _read_line(self, prompt: str, echo: bool) -> str | None:
        try:
            if echo:
                return self._line_prompt.prompt(prompt)
            return self._secret_prompt.prompt(prompt)
        except EOFError:
            return None
        except KeyboardInterrupt:
            if not self._at_command(prompt):
                return INTERRUPT  # a dialogue's question: the command ends there
            return CTRL_Z if self._in_config() else ""

    def _read_key(self, prompt: str) -> str | None:
        bindings = KeyBindings()

        @bindings.add(Keys.Any)
        def _any(event) -> None:
            event.app.exit(result=event.data)

        @bindings.add(Keys.Enter)
        def _enter(event) -> None:
            event.app.exit(result="\r")

        try:
            return PromptSession(key_bindings=bindings).prompt(prompt)
        except EOFError:
            return None
        except KeyboardInterrupt:
            return INTERRUPT

    def _at_command(self, prompt: str) -> bool:
        """Is `prompt` the session's command prompt (not a dialogue's question)?"""
        return self.session is not None and prompt.startswith(self.session.prompt())

    def _in_config(self) -> bool:
        return self.session is not None and self.session.mode != "exec"

    def _line_bindings(self) -> KeyBindings:
        bindings = KeyBindings()

        @bindings.add("?")
        def _help(event) -> None:
            buffer = event.app.current_buffer
            if self.session is None:
                return
            text = buffer.document.text_before_cursor
            output = self.session.help_text(text)
            run_in_terminal(lambda: sys.stdout.write(output))

        @bindings.add(Keys.Tab)
        def _complete(event) -> None:
            buffer = event.app.current_buffer
            if self.session is None:
                return
            text = buffer.document.text_before_cursor
            completed = self.session.complete(text)
            if completed != text:
                buffer.delete_before_cursor(len(text))
                buffer.insert_text(completed)

        @bindings.add("c-z")
        def _ctrl_z(event) -> None:
            event.app.exit(result=CTRL_Z)

        return bindings
