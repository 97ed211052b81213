"""Top-level system settings as typed attributes of the running configuration's root block.

`RootConfig` (see `root.py`) mixes this in; the router, the services and the shell read these
attributes, and each renders its own line (see `model.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cucme_lab.router.config.model import ConfigBlock


@dataclass(eq=False)
class SystemSettings(ConfigBlock):
    """hostname, the HTTP and SSH servers, and the other system lines the router acts on."""
