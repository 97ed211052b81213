"""Top-level access settings (users, enable, AAA, TACACS+) as typed attributes of the root block.

`RootConfig` (see `root.py`) mixes this in; `cucme_lab.router.access` reads these attributes
to decide who may log in, and each renders its own line (see `model.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cucme_lab.router.config.model import ConfigBlock


@dataclass(eq=False)
class AccessSettings(ConfigBlock):
    """The top-level lines that decide who may reach the router and what they may do."""
