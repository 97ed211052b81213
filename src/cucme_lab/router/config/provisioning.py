"""Top-level provisioning settings (`tftp-server` bindings) as typed attributes of the root block.

`RootConfig` (see `root.py`) mixes this in; `cucme_lab.router.provisioning.cnf` publishes the
bound flash files on TFTP from these attributes, and each renders its own line (see `model.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cucme_lab.router.config.model import ConfigBlock, line


class TftpBinding(NamedTuple):
    """`tftp-server FILE [alias NAME]`: a flash file phones may fetch over TFTP."""

    file: str  # flash:Ringlist.xml
    alias: str | None = None

    @property
    def name(self) -> str:
        """The name phones ask for: the alias, else the file's name without its device."""
        return self.alias or self.file.split(":", 1)[-1].lstrip("/")

    def __str__(self) -> str:
        return f"tftp-server {self.file}" + (f" alias {self.alias}" if self.alias else "")


@dataclass(eq=False)
class ProvisioningSettings(ConfigBlock):
    """The top-level lines that put files on the router's TFTP server."""

    # By (file, alias), in the order first typed; a file may be bound under several names.
    tftp_bindings: dict[tuple[str, str | None], TftpBinding] = line(
        "tftp-server", lambda bindings: [str(b) for b in bindings.values()],
        default_factory=dict)
