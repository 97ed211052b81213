"""Crash-safe files: a write killed half way leaves a temporary that holds private keys; it is
readable by its owner only while it exists, and gone once the router (or phone) powers on."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.phones.storage import PhoneStorage, write_private
from cucme_lab.router import storage as router_storage
from cucme_lab.router.router import Router
from cucme_lab.router.storage import LabStorage, atomic_write

SRC = str(Path(router_storage.__file__).resolve().parents[2])

# A process that writes private-config as `write memory` does, and hangs before the rename
# (fsync never returns), so the test can kill it -9 at that moment.
WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from cucme_lab.router.storage import LabStorage
    storage = LabStorage(Path(sys.argv[1]))
    def hang(fd):
        print("writing", flush=True)
        time.sleep(60)
    os.fsync = hang
    storage.write_nvram("private-config", "-----BEGIN RSA PRIVATE KEY-----\\n...")
""")


def _temporaries(root: Path) -> list[Path]:
    return list(root.rglob(".*.tmp"))


def test_kill_9_during_write_memory_leaves_a_private_temporary_that_boot_removes(tmp_path):
    lab = tmp_path / "lab"
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(lab)], stdout=subprocess.PIPE,
                            env=env)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"writing\n"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    [left] = _temporaries(lab)
    assert left.parent == lab / "nvram" and left.name.startswith(".private-config.")
    assert stat.S_IMODE(left.stat().st_mode) == 0o600  # not readable by other users
    Router.open(lab, addresses=AddressPlan())  # power on
    assert _temporaries(lab) == []


def test_boot_removes_temporaries_in_nvram_flash_the_ca_database_and_the_lab_folder(tmp_path):
    lab = tmp_path / "lab"
    LabStorage(lab)
    left = [lab / "nvram" / ".private-config.k2j4h5g6.tmp",
            lab / "nvram" / ".7.cer.abcd_123.tmp",  # CA database in NVRAM (the default)
            lab / "flash" / "ca-db" / ".8.cer.zz99yy88.tmp",  # `database url flash:ca-db`
            lab / "flash" / ".CTLFile.tlv.q1w2e3r4.tmp",
            lab / ".lab.json.a1b2c3d4.tmp",
            lab / ".manufacturing-ca.pem.m1n2b3v4.tmp"]
    kept = [lab / "flash" / "notes.tmp",  # a user's file, not one of ours
            lab / "flash" / ".hidden",
            lab / "nvram" / "startup-config"]
    for path in left + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"secret")
    storage = Router.open(lab, addresses=AddressPlan()).storage
    assert [p for p in left if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert sorted(storage.removed_temporaries) == sorted(left)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_a_temporary_is_private_while_it_is_written(tmp_path, monkeypatch, umask):
    seen: list[int] = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(stat.S_IMODE(os.stat(src).st_mode))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    old = os.umask(umask)
    try:
        atomic_write(tmp_path / "nvram" / "private-config", b"key")
        write_private(tmp_path / "phone" / "lsc.pem", b"key")
    finally:
        os.umask(old)
    assert seen == [0o600, 0o600]
    assert stat.S_IMODE((tmp_path / "phone" / "lsc.pem").stat().st_mode) == 0o600


def test_a_failed_phone_write_leaves_no_temporary(tmp_path, monkeypatch):
    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_private(tmp_path / "lsc.pem", b"key")
    assert list(tmp_path.iterdir()) == []


def test_a_phone_removes_its_temporaries_at_power_on(tmp_path):
    folder = tmp_path / "SEP001122334455"
    folder.mkdir()
    (folder / ".lsc.pem.abcdefgh.tmp").write_bytes(b"key")
    (folder / ".lsc.pem.abcdefgh").write_bytes(b"key")  # not ours: no .tmp
    storage = PhoneStorage(folder)
    assert [p.name for p in storage.removed_temporaries] == [".lsc.pem.abcdefgh.tmp"]
    assert sorted(p.name for p in folder.iterdir()) == [".lsc.pem.abcdefgh"]


def test_the_manufacturing_key_is_private(tmp_path):
    from cucme_lab.phones.manufacturing import ManufacturingCA

    old = os.umask(0o022)
    try:
        ManufacturingCA.load_or_create(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "manufacturing-ca.pem").stat().st_mode) == 0o600
