"""The router's call history, wired to its clock, event log and configuration: the active
and history tables of `show call active/history voice`, and `gw-accounting syslog` CDRs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cucme_lab.router.telephony.history import CallHistory

if TYPE_CHECKING:
    from cucme_lab.router.router import Router


def call_history_for(router: Router) -> CallHistory:
    def settings() -> tuple[int, int, bool]:
        config = router.config
        return (config.history_retain_minutes, config.history_max_size,
                "syslog" in config.gw_accounting)

    return CallHistory(
        now=router.clock.now_local, zone=lambda: router.clock.tz_name,
        uptime_ms=lambda: int((time.time() - router.boot_time) * 1000),
        log=router.log.log, settings=settings)
