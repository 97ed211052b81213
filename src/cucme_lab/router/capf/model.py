"""What CAPF should do for each phone, read from the router's configuration.

The `capf-server` block says how phones authenticate by default and which CA signs LSCs; an
ephone's own `cert-oper ... auth-mode ...` line schedules an operation for that phone (and wins
over the global `cert-oper ... all`), and its `capf-auth-str` is the string the phone's user must
key in. An ephone `cert-oper` line is removed once its operation completes, as the NSA guide says.

The global `cert-oper OP all` stays in the configuration; CME keeps per phone whether the
operation completed. Here that memory is the CAPF state (`router.capf.done`) and, for
`upgrade`, the CA's own database: the LSC the CA issued to a phone (`database level complete`
keeps every certificate on flash) completes the operation for that phone, so a saved lab
restarted does not ask phones that hold a valid LSC from this CA again. Where no record of one
exists (another database level, an expired or revoked LSC, a CA created anew), the operation is
pending again and the log says why, once a boot (`%CAPF-6-OPER_PENDING` [U]: CME's own
bookkeeping is not published).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from cucme_lab.router.capf.config import (
    DEFAULT_KEY_SIZE,
    CapfServerBlock,
    CertOperation,
    capf_server,
)
from cucme_lab.router.capf.lsc import recorded_lscs
from cucme_lab.router.capf.state import CapfState
from cucme_lab.router.router import Router
from cucme_lab.router.telephony.settings import EPHONE, Ephone, ephones
from cucme_lab.wire.capf import AuthType, CapfDevice, Operation

AUTH_TYPES = {"auth-string": AuthType.PASSWORD, "null-string": AuthType.NO_PASSWORD,
              "LSC": AuthType.LSC, "MIC": AuthType.MIC}
OPERATIONS = {"upgrade": Operation.INSTALL, "fetch": Operation.FETCH,
              "delete": Operation.DELETE}


def capf_config(router: Router) -> CapfServerBlock | None:
    """The `capf-server` block (see `router/capf/config.py`), or None without CAPF."""
    return capf_server(router.config)


def device_name(mac: str) -> str:
    """`CAFE.CAFE.1234` -> `SEPCAFECAFE1234`."""
    return "SEP" + mac.replace(".", "").upper()


def scheduled_devices(router: Router) -> dict[str, CapfDevice]:
    """Every ephone with a MAC, with the operation and authentication CAPF applies to it."""
    cfg = capf_config(router)
    if cfg is None:
        return {}
    state = router.capf
    load_issued(router)
    devices: dict[str, CapfDevice] = {}
    for eph in ephones(router.config):
        if eph.mac:
            device = _scheduled(cfg, state, eph, device_name(eph.mac))
            devices[device.name] = device
    return devices


class ScheduledDevices(Mapping[str, CapfDevice]):
    """`scheduled_devices` read one device at a time, when a session asks for it.

    A CAPF session needs only its own phone; building every ephone's entry per connection made
    a fleet's enrolment quadratic in the number of ephones.
    """

    def __init__(self, router: Router) -> None:
        self._router = router

    def __getitem__(self, name: str) -> CapfDevice:
        cfg = capf_config(self._router)
        eph = ephone_section(self._router, name) if cfg is not None else None
        if cfg is None or eph is None:
            raise KeyError(name)
        load_issued(self._router)
        return _scheduled(cfg, self._router.capf, eph, name)

    def __iter__(self) -> Iterator[str]:
        return iter(scheduled_devices(self._router))

    def __len__(self) -> int:
        return len(scheduled_devices(self._router))


def _scheduled(cfg: CapfServerBlock, state: CapfState, eph: Ephone, name: str) -> CapfDevice:
    op: str | None
    mode: str
    if eph.cert_oper is not None:
        op, mode = eph.cert_oper
    elif cfg.cert_oper and not global_operation_done(state, cfg, name):
        op, mode = cfg.cert_oper, cfg.device_auth_mode
    else:
        op, mode = None, cfg.device_auth_mode
    auth = AUTH_TYPES.get(mode, AuthType.NO_PASSWORD)
    # In auth-string mode without a string for this ephone the phone's entry cannot match: the
    # CAPF server refuses it and says where the string comes from.
    password = eph.capf_auth_str or ""
    operation = OPERATIONS.get(op, Operation.NONE) if op and mode != "none" else Operation.NONE
    return CapfDevice(
        name=name,
        operation=operation,
        auth_mode=auth,
        password=password if auth is AuthType.PASSWORD else "",
        key_size=cfg.key_size if cfg.key_size in (512, 1024, 2048) else DEFAULT_KEY_SIZE,
    )


def global_operation_done(state: CapfState, cfg: CapfServerBlock, name: str) -> bool:
    """Whether the global `cert-oper` has completed for device `name` (see the module's text;
    `load_issued` has read the CA's database)."""
    op = cfg.cert_oper
    if op is None or state.done.get(name) == op:
        return True
    if op is not CertOperation.UPGRADE:
        return False
    cert = state.issued.get(name) if state.issued is not None else None
    if cert is not None and (state.oper_since is None
                             or cert.not_valid_before_utc >= state.oper_since):
        state.done[name] = op
        return True
    return False


def load_issued(router: Router) -> None:
    """Read which LSCs the CA's database holds, once per boot (`router.capf.issued`)."""
    state = router.capf
    if state.issued is None:
        cfg = capf_config(router)
        state.issued = recorded_lscs(router, cfg.ca_trustpoint if cfg else None)


def operation_pending(router: Router, cfg: CapfServerBlock, eph: Ephone) -> str | None:
    """The auth mode of the operation this ephone's phone is to run, None when none is."""
    if eph.cert_oper is not None:
        return eph.cert_oper.auth_mode
    if cfg.cert_oper is None or eph.mac is None:
        return None
    load_issued(router)
    name = device_name(eph.mac)
    if global_operation_done(router.capf, cfg, name):
        return None
    state = router.capf
    if state.oper_since is None and name not in state.told:
        # read from the startup-config: why this phone is asked again, once per boot [U]
        state.told.add(name)
        router.log.log(f"%CAPF-6-OPER_PENDING: ephone {eph.tag} {name}: cert-oper "
                       f"{cfg.cert_oper} all pending: CA {cfg.ca_trustpoint} holds no valid "
                       "certificate issued to it")
    return cfg.auth_mode


def ephone_section(router: Router, name: str) -> Ephone | None:
    """The ephone section whose MAC makes device `name`, or None.

    From an index checked at each use (the section must still be in the configuration with
    that MAC) and rebuilt on a miss: CAPF looks phones up at every session and completion, and
    a scan of every ephone each time made a fleet's enrolment quadratic.
    """
    index = router.capf.by_device
    sec = index.get(name)
    if sec is not None and router.config.find(EPHONE, sec.ident) is sec:
        if sec.mac and device_name(sec.mac) == name:
            return sec
    index.clear()
    for child in router.config.children.values():
        if isinstance(child, Ephone) and child.mac:
            index.setdefault(device_name(child.mac), child)
    return index.get(name)


def complete_operation(router: Router, name: str, operation: Operation) -> None:
    """The operation for `name` finished: drop its pending line, remember a global one."""
    cfg = capf_config(router)
    eph = ephone_section(router, name)
    if eph is not None and eph.cert_oper is not None:
        eph.cert_oper = None
        router.mark_changed("")  # made by the router itself: no `by <user>` in the header
        return
    if cfg is not None and cfg.cert_oper:
        router.capf.done[name] = cfg.cert_oper
