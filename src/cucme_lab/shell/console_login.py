"""The console's login under `aaa new-model`: the console line's method list, servers asked.

IOS applies the default login list (or `line con 0`'s `login authentication LIST`) to the
console once `aaa new-model` is on; without it the console asks nothing, as before. A user the
list refuses sees `% Authentication failed` and the dialogue starts again, as on a real
console; end of input ends the console.
"""

from __future__ import annotations

from typing import Any

from cucme_lab.router import aaa
from cucme_lab.router import access as ra
from cucme_lab.router.access_config import LINE_CON

CONSOLE_PORT = "tty0"  # [M] IOS names the console line 0 to AAA servers


def console_section(config: Any) -> Any:
    return next(iter(config.sections(LINE_CON)), None)


async def console_login(router: Any, terminal: Any) -> tuple[str, int] | None:
    """(user, privilege) once the console's list admits someone; None at end of input."""
    config = router.config
    sec = console_section(config)
    if not config.aaa_new_model:
        return "", ra.line_privilege(sec)
    methods = ra.login_methods(config, sec)
    terminal.write("\n\nUser Access Verification\n\n")
    while True:
        user = await terminal.readline("Username: ")
        if user is None:
            return None
        password = await terminal.readline("Password: ", echo=False)
        if password is None:
            return None
        verdict = await aaa.login(router, sec, methods, aaa.LoginRequest(
            user.strip(), password, port=CONSOLE_PORT))
        if verdict.ok:
            return user.strip(), verdict.priv
        if verdict.authorization_failed:
            terminal.write("% Authorization failed.\n\n")  # [M]
        else:
            terminal.write("% Authentication failed\n\n")  # [M] as on a vty under AAA
