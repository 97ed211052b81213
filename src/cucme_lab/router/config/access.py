"""Top-level access settings (users, enable, AAA, TACACS+) as typed attributes of the root block.

`RootConfig` (see `root.py`) mixes this in; `cucme_lab.router.access` reads these attributes
to decide who may log in, and each renders its own line (see `model.py`). The value types
(`Secret`, `LocalUser`, ACL entries...) and the line blocks are in
`cucme_lab.router.access_config`.

Keyed lines (users, levels, lists) are dicts in the order first typed, which is the order IOS
prints them in; typing a line again replaces it in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from cucme_lab.router.access_config import (
    ENABLE_LEVEL,
    AclLine,
    LocalUser,
    LoginLog,
    Password,
    Secret,
    TacacsServer,
    TerminalLine,
    acl_lines,
)
from cucme_lab.router.config.model import ConfigBlock, line

AaaMethods = tuple[str, ...]  # `group tacacs+`, `local`, `local-case`, `enable`, `line`, `none`


def _enable_secret_lines(secrets: dict[int, Secret]) -> list[str]:
    """`enable secret level N` lines come before `enable secret` (the level 15 one)."""
    out = [f"enable secret level {level} {s}" for level, s in secrets.items()
           if level != ENABLE_LEVEL]
    if ENABLE_LEVEL in secrets:
        out.append(f"enable secret {secrets[ENABLE_LEVEL]}")
    return out


def _enable_password_lines(plain: dict[int, Password]) -> list[str]:
    return [f"enable password {p}" if level == ENABLE_LEVEL
            else f"enable password level {level} {p}" for level, p in plain.items()]


@dataclass(eq=False)
class AccessSettings(ConfigBlock):
    """The top-level lines that decide who may reach the router and what they may do."""

    # By privilege level; 15 is the plain `enable secret` / `enable password`.
    enable_secrets: dict[int, Secret] = line("enable secret", _enable_secret_lines,
                                             default_factory=dict)
    enable_passwords: dict[int, Password] = line("enable password", _enable_password_lines,
                                                 default_factory=dict)
    aaa_new_model: bool = line(
        "aaa new-model", lambda on: "aaa new-model" if on else "no aaa new-model", default=False)
    aaa_login_lists: dict[str, AaaMethods] = line(
        "aaa authentication login", lambda lists: [
            f"aaa authentication login {name} {' '.join(methods)}"
            for name, methods in lists.items()], default_factory=dict)
    aaa_enable_methods: AaaMethods | None = line(
        "aaa authentication enable",
        lambda methods: f"aaa authentication enable default {' '.join(methods)}")
    users: dict[str, LocalUser] = line("username", lambda users: [str(u) for u in users.values()],
                                       default_factory=dict)
    access_lists: dict[int, list[AclLine]] = line("access-list", acl_lines, default_factory=dict)
    tacacs_servers: dict[IPv4Address, TacacsServer] = line(
        "tacacs-server host", lambda servers: [str(s) for s in servers.values()],
        default_factory=dict)
    tacacs_key: Password | None = line("tacacs-server key", lambda p: f"tacacs-server key {p}")
    # `privilege exec level N COMMAND`: the level each command (as typed) is moved to.
    command_privileges: dict[str, int] = line(
        "privilege exec", lambda levels: [f"privilege exec level {level} {command}"
                                          for command, level in levels.items()],
        default_factory=dict)
    login_on_failure: LoginLog | None = line("login on-failure",
                                             lambda log: log.text("on-failure"))
    login_on_success: LoginLog | None = line("login on-success",
                                             lambda log: log.text("on-success"))

    def encrypt_passwords(self) -> None:
        """`service password-encryption`: every clear password of the area becomes type 7."""
        self.enable_passwords = {level: p.encrypted()
                                 for level, p in self.enable_passwords.items()}
        self.users = {name: u._replace(credential=u.credential.encrypted())
                      if isinstance(u.credential, Password) else u
                      for name, u in self.users.items()}
        if self.tacacs_key is not None:
            self.tacacs_key = self.tacacs_key.encrypted()
        for child in self.children.values():
            if isinstance(child, TerminalLine):
                child.encrypt_passwords()
