"""The lab folder: NVRAM (startup-config, private-config) and flash, as real files.

Every write goes to a temporary file that is fsynced and renamed over the old one, so a crash
leaves either the old or the new file, never a torn one.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLASH_SIZE = 256_487_424
NVRAM_SIZE = 245_752


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # The rename is not fsync'd through the folder: after a power cut the old file may
        # come back, never a torn one (DESIGN 6), and a CA issuing a fleet's LSCs wrote each
        # serial and certificate twice as slowly with it.
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class FlashPathError(ValueError):
    """A flash file name that would leave the flash folder."""


@dataclass
class LabStorage:
    """Where one lab keeps its NVRAM and flash."""

    root: Path

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.nvram.mkdir(parents=True, exist_ok=True)
        self.flash.mkdir(parents=True, exist_ok=True)

    @property
    def nvram(self) -> Path:
        return self.root / "nvram"

    @property
    def flash(self) -> Path:
        return self.root / "flash"

    # --- NVRAM -------------------------------------------------------------------------
    def read_nvram(self, name: str) -> str | None:
        path = self.nvram / name
        return path.read_text() if path.exists() else None

    def write_nvram(self, name: str, text: str) -> None:
        atomic_write(self.nvram / name, text.encode())

    def erase_nvram(self) -> None:
        for name in ("startup-config", "private-config"):
            path = self.nvram / name
            if path.exists():
                path.unlink()

    # --- flash -------------------------------------------------------------------------
    def flash_path(self, name: str) -> Path:
        """Map `flash:foo/bar` or `foo` to a path inside flash, refusing escapes."""
        name = re.sub(r"^flash\d?:", "", name).lstrip("/")
        if not name or any(part in ("..", "") for part in name.split("/")) or "\\" in name:
            raise FlashPathError(name)
        path = (self.flash / name).resolve()
        if self.flash.resolve() not in path.parents:
            raise FlashPathError(name)
        return path

    def write_flash(self, name: str, data: bytes) -> Path:
        path = self.flash_path(name)
        atomic_write(path, data)
        return path

    def read_flash(self, name: str) -> bytes | None:
        path = self.flash_path(name)
        return path.read_bytes() if path.is_file() else None

    def delete_flash(self, name: str) -> bool:
        path = self.flash_path(name)
        if path.is_file():
            path.unlink()
            return True
        return False

    def flash_files(self) -> list[Path]:
        return sorted((p for p in self.flash.rglob("*")
                       if p.is_file() and not p.name.startswith(".")),
                      key=lambda p: p.stat().st_mtime)

    def flash_used(self) -> int:
        return sum(p.stat().st_size for p in self.flash_files())
