"""The running configuration's root block: every top-level typed setting, and the child blocks.

Its settings come from one mixin per area, so that each area's typed lines live beside the code
that acts on them: `system.py` (hostname, HTTP and SSH servers), `access.py` (users, enable,
AAA), `provisioning.py` (`tftp-server` bindings) `logging.py` (where log lines go)
and `time.py` (summer time, NTP authentication).
Child blocks (`interface`, `telephony-service`, trustpoints...) are its children.
"""

from __future__ import annotations

from dataclasses import dataclass

from cucme_lab.router.config.aaa import AaaSettings
from cucme_lab.router.config.access import AccessSettings
from cucme_lab.router.config.logging import LoggingSettings
from cucme_lab.router.config.provisioning import ProvisioningSettings
from cucme_lab.router.config.snmp import SnmpSettings
from cucme_lab.router.config.system import SystemSettings
from cucme_lab.router.config.time import TimeSettings
from cucme_lab.router.config.voice import VoiceAccountingSettings


@dataclass(eq=False)
class RootConfig(SystemSettings, AccessSettings, ProvisioningSettings, LoggingSettings,
                 TimeSettings, VoiceAccountingSettings, SnmpSettings, AaaSettings):
    """`show running-config` from `version` to `end`."""

    def encrypt_passwords(self) -> None:
        """`service password-encryption`: every area's clear passwords and keys become type 7."""
        AccessSettings.encrypt_passwords(self)
        self.encrypt_aaa_keys()
