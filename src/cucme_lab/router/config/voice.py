"""Root voice lines as typed attributes: the call history table's bounds (`dial-control-mib`)
and where call detail records go (`gw-accounting`). `RootConfig` mixes this in.
"""

from __future__ import annotations

from dataclasses import dataclass

from cucme_lab.router.config.model import ConfigBlock, line

DEFAULT_RETAIN_MINUTES = 15  # `dial-control-mib retain-timer` default
DEFAULT_HISTORY_SIZE = 50  # `dial-control-mib max-size` default


@dataclass(eq=False)
class VoiceAccountingSettings(ConfigBlock):
    """Root lines: the call history table's bounds and where CDRs go."""

    dial_control_retain: int | None = line("dial-control-mib retain-timer")
    dial_control_max_size: int | None = line("dial-control-mib max-size")
    gw_accounting: tuple[str, ...] = line(
        "gw-accounting", lambda hows: [f"gw-accounting {h}" for h in hows], default=())

    @property
    def history_retain_minutes(self) -> int:
        return DEFAULT_RETAIN_MINUTES if self.dial_control_retain is None else \
            self.dial_control_retain

    @property
    def history_max_size(self) -> int:
        return DEFAULT_HISTORY_SIZE if self.dial_control_max_size is None else \
            self.dial_control_max_size
