"""The lab folder: NVRAM (startup-config, private-config) and flash, as real files.

Every write goes to a temporary file that is fsynced and renamed over the old one, so a crash
leaves either the old or the new file, never a torn one. The temporary holds what the file will
(private-config holds the router's private keys), so it is made readable by its owner only
(0600, whatever the umask), and one left behind by a process killed mid-write is removed when
the router next powers on (`LabStorage`), in NVRAM, flash (the CA database lives in one or the
other) and the lab folder itself (lab.json).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

FLASH_SIZE = 256_487_424
NVRAM_SIZE = 245_752
TEMP_SUFFIX = ".tmp"
PRIVATE_MODE = 0o600
# `.<name>.<8 random characters>.tmp`: what atomic_write (and tempfile.mkstemp) names its files
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def private_temporary(path: Path) -> tuple[int, str]:
    """A new file beside `path`, open for writing, readable and writable by its owner only."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    os.fchmod(fd, PRIVATE_MODE)  # mkstemp's mode today; said here, as the keys depend on it
    return fd, tmp


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` with `data`: a reader sees the old file or the new, never half of one.
    `durable` syncs the data before the rename; without it a power cut may bring the old
    file back (for records whose loss costs nothing that matters, such as the CA database's
    copy of a certificate it issued: its serial was made durable before)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = private_temporary(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
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


def remove_temporaries(folder: Path, *, recursive: bool = True) -> list[Path]:
    """Remove what interrupted atomic writes left in `folder`; returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    candidates = folder.rglob(".*.tmp") if recursive else folder.glob(".*.tmp")
    for path in candidates:
        if TEMPORARY.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            try:
                path.unlink()
            except OSError as exc:
                log.warning("cannot remove the stale temporary %s: %s", path, exc)
                continue
            removed.append(path)
    if removed:
        log.info("removed %d temporary file(s) left by interrupted writes: %s", len(removed),
                 ", ".join(str(p) for p in removed))
    return removed


class FlashPathError(ValueError):
    """A flash file name that would leave the flash folder."""


@dataclass
class LabStorage:
    """Where one lab keeps its NVRAM and flash."""

    root: Path
    removed_temporaries: list[Path] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.nvram.mkdir(parents=True, exist_ok=True)
        self.flash.mkdir(parents=True, exist_ok=True)
        # Power-on: no write of ours is under way, so any temporary is a killed write's.
        self.removed_temporaries = (remove_temporaries(self.root, recursive=False)
                                    + remove_temporaries(self.nvram)
                                    + remove_temporaries(self.flash))

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
