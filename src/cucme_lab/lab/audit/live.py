"""A running lab's audit kept current in `lab.json` (`audit`), for `cucme-lab audit` and the
dashboard: recomputed when the configuration, the registrations or the CTL file changed."""

from __future__ import annotations

import logging
from typing import Any

import trio

from cucme_lab.lab.audit import audit_router
from cucme_lab.router.provisioning.tftp_table import CTL_FILENAME

log = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between looks: lab.json is at most this late


def _state(router: Any) -> tuple:
    """What the audit's answer depends on, cheaply: the last change, who registered how."""
    regs = router.phones.registrations
    return (id(router.last_change), router.last_change, len(regs),
            sum(hash((t, r.security_mode)) for t, r in regs.items()),
            router.storage.flash_path(CTL_FILENAME).is_file())


async def keep_audit_current(lab: Any, interval: float = INTERVAL) -> None:
    """Refresh `lab.manifest.audit` and rewrite lab.json whenever the audit may have changed."""
    seen: tuple | None = None
    while True:
        state = _state(lab.router)
        if state != seen:
            seen = state
            try:
                lab.manifest.audit = audit_router(lab.router)
            except Exception:  # an audit bug must not take the lab down
                log.exception("the audit failed; lab.json keeps the previous one")
            else:
                lab.write_manifest()
        await trio.sleep(interval)
