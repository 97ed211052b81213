"""What CAPF should do for each phone, read from the router's configuration.

The `capf-server` block says how phones authenticate by default and which CA signs LSCs; an
ephone's own `cert-oper ... auth-mode ...` line schedules an operation for that phone (and wins
over the global `cert-oper ... all`), and its `capf-auth-str` is the string the phone's user must
key in. An ephone `cert-oper` line is removed once its operation completes, as the NSA guide says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.router import Router
from emulator.wire.capf import AuthType, CapfDevice, Operation

DEFAULT_PORT = 3804
DEFAULT_KEY_SIZE = 1024

AUTH_TYPES = {"auth-string": AuthType.PASSWORD, "null-string": AuthType.NO_PASSWORD,
              "LSC": AuthType.LSC, "MIC": AuthType.MIC}
OPERATIONS = {"upgrade": Operation.INSTALL, "fetch": Operation.FETCH,
              "delete": Operation.DELETE}


@dataclass(frozen=True)
class CapfConfig:
    port: int
    trustpoint_label: str | None
    ca_trustpoint: str | None
    source_addr: str | None
    auth_mode: str
    key_size: int
    global_operation: str | None


def capf_config(router: Router) -> CapfConfig | None:
    sec = router.config.find("capf-server", ())
    if sec is None:
        return None
    return CapfConfig(
        port=sec.value("port", "port", DEFAULT_PORT),
        trustpoint_label=sec.value("trustpoint-label", "tp"),
        ca_trustpoint=sec.value("cert-enroll-trustpoint", "tp"),
        source_addr=sec.value("source-addr", "addr"),
        auth_mode=sec.value("auth-mode", "mode", "none"),
        key_size=int(sec.value("phone-key-size", "size", DEFAULT_KEY_SIZE)),
        global_operation=sec.value("cert-oper", "op"),
    )


def device_name(mac: str) -> str:
    """`CAFE.CAFE.1234` -> `SEPCAFECAFE1234`."""
    return "SEP" + mac.replace(".", "").upper()


@dataclass
class CapfState:
    """CAPF's runtime memory: sessions in progress and operations done under a global oper."""

    sessions: dict[str, str] = field(default_factory=dict)  # device -> state name
    done: dict[str, str] = field(default_factory=dict)  # device -> global operation completed
    certificates: dict[str, bytes] = field(default_factory=dict)  # device -> last LSC (DER)


def capf_state(router: Router) -> CapfState:
    return router.runtime_state("capf", CapfState)


def scheduled_devices(router: Router) -> dict[str, CapfDevice]:
    """Every ephone with a MAC, with the operation and authentication CAPF applies to it."""
    cfg = capf_config(router)
    if cfg is None:
        return {}
    state = capf_state(router)
    devices: dict[str, CapfDevice] = {}
    for eph in router.config.sections("ephone"):
        mac = eph.value("mac-address", "mac")
        if not mac:
            continue
        name = device_name(mac)
        oper: Any = eph.get("cert-oper")
        if oper is not None:
            op, mode = oper.get("op"), oper.get("authmode")
        elif cfg.global_operation and state.done.get(name) != cfg.global_operation:
            op, mode = cfg.global_operation, cfg.auth_mode
        else:
            op, mode = None, cfg.auth_mode
        auth = AUTH_TYPES.get(mode, AuthType.NO_PASSWORD)
        password = str(eph.value("capf-auth-str", "digits", "") or "")
        if auth is AuthType.PASSWORD and not password:
            auth_ok = False
        else:
            auth_ok = True
        operation = OPERATIONS.get(op, Operation.NONE) if op and mode != "none" else \
            Operation.NONE
        devices[name] = CapfDevice(
            name=name,
            operation=operation if auth_ok else Operation.NONE,
            auth_mode=auth if auth_ok else AuthType.NO_PASSWORD,
            password=password if auth is AuthType.PASSWORD and auth_ok else "",
            key_size=cfg.key_size if cfg.key_size in (512, 1024, 2048) else DEFAULT_KEY_SIZE,
        )
    return devices


def ephone_tag(router: Router, name: str) -> int | None:
    for eph in router.config.sections("ephone"):
        mac = eph.value("mac-address", "mac")
        if mac and device_name(mac) == name:
            return eph.ident[0]
    return None


def complete_operation(router: Router, name: str, operation: Operation) -> None:
    """The operation for `name` finished: drop its pending line, remember a global one."""
    cfg = capf_config(router)
    for eph in router.config.sections("ephone"):
        mac = eph.value("mac-address", "mac")
        if mac and device_name(mac) == name:
            if eph.unset("cert-oper"):
                router.mark_changed("CAPF")
                return
    if cfg is not None and cfg.global_operation:
        capf_state(router).done[name] = cfg.global_operation
