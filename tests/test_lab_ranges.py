"""Loopback ranges claimed by running labs: labs at once on one machine never share one."""

from __future__ import annotations

import trio

from cucme_lab.lab import ranges
from cucme_lab.lab.router_lab import open_lab


def test_a_lab_keeps_its_preferred_range_unless_another_holds_it(tmp_path, monkeypatch):
    monkeypatch.setenv(ranges.ENV_DIR, str(tmp_path / "claims"))
    monkeypatch.setattr(ranges, "bases_in_use", set)  # other labs on this host: none
    lab = tmp_path / "lab"
    preferred = ranges.preferred_base(lab)
    with ranges.claimed_plan(lab) as first:
        assert first.base == preferred
        with ranges.claimed_plan(lab) as second, ranges.claimed_plan(tmp_path / "x") as third:
            assert len({first.base, second.base, third.base}) == 3
            assert all(20 <= p.base < 220 for p in (first, second, third))
    with ranges.claimed_plan(lab) as again:  # released: the lab's own range again
        assert again.base == preferred
    assert (tmp_path / "claims" / f"range-127.{preferred}.lock").exists()


async def test_two_labs_whose_folders_hash_alike_run_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv(ranges.ENV_DIR, str(tmp_path / "claims"))
    busy = ranges.bases_in_use()  # other labs on this host: keep clear of them
    base = next(b for b in range(20, 218) if b not in busy and b + 1 not in busy)
    monkeypatch.setattr(ranges, "preferred_base", lambda lab_dir: base)
    monkeypatch.setattr(ranges, "bases_in_use", set)
    with trio.fail_after(60):
        async with open_lab(tmp_path / "a") as a, open_lab(tmp_path / "b") as b:
            assert (a.addresses.base, b.addresses.base) == (base, base + 1)
            bound = {(e.bound_address, e.bound_port) for lab in (a, b)
                     for e in lab.services.entries()}
            assert len(bound) == len(a.services.entries()) + len(b.services.entries())


def test_a_range_some_other_lab_binds_is_passed_over(tmp_path, monkeypatch):
    """A lab that claims nothing (an older cucme-lab) shows in the kernel's socket tables."""
    tcp, udp = tmp_path / "tcp", tmp_path / "udp"
    header = "  sl  local_address rem_address   st tx_queue rx_queue\n"
    tcp.write_text(header + "   0: 0101647F:07D0 00000000:0000 0A 0\n"  # 127.100.1.1:2000 LISTEN
                   "   1: 0101657F:07D0 0201657F:9C40 06 0\n")  # 127.101: TIME_WAIT only
    udp.write_text(header + "   7: 0401667F:4E45 00000000:0000 07 0\n")  # 127.102.1.4:20069
    monkeypatch.setattr(ranges, "PROC_TABLES", (str(tcp), str(udp)))
    assert ranges.bases_in_use() == {100, 102}
    monkeypatch.setenv(ranges.ENV_DIR, str(tmp_path / "claims"))
    monkeypatch.setattr(ranges, "preferred_base", lambda lab_dir: 100)
    with ranges.claimed_plan(tmp_path / "lab") as plan:
        assert plan.base == 101
