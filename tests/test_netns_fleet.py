"""Phones on another host: a router in one network namespace on its configured address
1.2.3.4, 200 phones in another rolling out securely through a veth pair (issue 22).

The lab runs with `--real-addresses` inside the router's namespace; `cucme-phones --remote`
starts its worker Python in the phones' namespace through execnet. A capture on the phones'
end of the veth shows the configured addresses and nothing of loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from cucme_lab.lab.netns import NetnsPair

sys.path.insert(0, str(Path(__file__).parent / "phones"))
from capture import capturing  # noqa: E402
from procedures import fleet_security, fleet_startup  # noqa: E402

PHONES = 200

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("dumpcap") is None,
    reason="needs root, iproute2 and dumpcap (.ci/run runs as root and installs them)")


def _lab_file(path: Path) -> Path:
    body = "".join(f"    {line}\n" for line in fleet_startup(PHONES).splitlines())
    path.write_text(f"lab:\n  name: netns\n  startup-config: |\n{body}")
    return path


async def _services_listening(lab_dir: Path, names: set[str], router: trio.Process) -> None:
    manifest = lab_dir / "lab.json"
    while True:
        assert router.poll() is None, "the lab in the router's namespace stopped"
        if manifest.exists():
            try:
                services = {s["name"] for s in json.loads(manifest.read_text())["services"]}
            except (ValueError, KeyError):
                services = set()
            if names <= services:
                return
        await trio.sleep(0.2)


async def _stop(proc: trio.Process) -> None:
    if proc.poll() is None:
        proc.terminate()
    with trio.move_on_after(20):
        await proc.wait()
    if proc.poll() is None:
        proc.kill()
        await proc.wait()


async def test_200_phones_in_another_namespace_roll_out_against_1_2_3_4(tmp_path):
    tag = os.getpid() % 100000
    pair = NetnsPair(router_ns=f"cl{tag}r", phones_ns=f"cl{tag}p", router="1.2.3.4/16",
                     count=PHONES, veth=f"cl{tag}")
    try:
        await trio.to_thread.run_sync(pair.up)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"no network namespaces here: {exc.stderr}")
    lab_dir, pcap, report = tmp_path / "lab", tmp_path / "veth.pcap", tmp_path / "fleet.json"
    script = tmp_path / "secure.txt"
    script.write_text("\n".join(["enable", "configure terminal",
                                 *fleet_security(1024).splitlines(), "end"]) + "\n")
    router = None
    try:
        with trio.fail_after(420):
            router = await trio.lowlevel.open_process(
                [*pair.exec_prefix(pair.router_ns), sys.executable, "-m", "cucme_lab.cli",
                 "--real-addresses", "--lab", str(lab_dir), "--labfile",
                 str(_lab_file(tmp_path / "lab.yaml")), "--script", str(script), "--serve"],
                stdout=subprocess.DEVNULL)
            await _services_listening(lab_dir, {"tftp", "capf", "sccp-tls"}, router)
            await trio.sleep(1.0)  # the TFTP process takes the new file table
            python = f"ip netns exec {pair.phones_ns} {sys.executable}"
            async with capturing(pcap, "host 1.2.3.4", interface=pair.phones_if,
                                 prefix=pair.exec_prefix(pair.phones_ns), snaplen=96):
                fleet = await trio.run_process(
                    [sys.executable, "-m", "cucme_lab.lab.fleet_cli", "--lab", str(lab_dir),
                     "-n", str(PHONES), "--remote", f"popen//python={python}", "--quiet",
                     "--timeout", "300", "--json", str(report)],
                    capture_stdout=True, capture_stderr=True, check=False)
        assert fleet.returncode == 0, fleet.stdout.decode() + fleet.stderr.decode()
        phones = json.loads(report.read_text())["phones"]
        assert len(phones) == PHONES
        assert {(p["state"], p["security"]) for p in phones} == {("registered", "encrypted")}
        assert {p["address"] for p in phones} == set(pair.phone_addresses())

        fields = subprocess.run(
            ["tshark", "-r", str(pcap), "-T", "fields", "-e", "ip.src", "-e", "ip.dst",
             "-e", "tcp.dstport", "-e", "udp.dstport"],
            capture_output=True, text=True, check=True, timeout=120).stdout.split("\n")
        rows = [line.split("\t") for line in fields if line]
        addresses = {a for row in rows for a in row[:2]}
        assert "1.2.3.4" in addresses
        assert set(pair.phone_addresses()) <= addresses  # every phone spoke from its own
        assert not any(a.startswith("127.") for a in addresses)
        ports = {p for row in rows for p in row[2:] if p}
        assert {"69", "3804", "2443"} <= ports  # TFTP, CAPF and SCCP over TLS crossed the veth
    finally:
        if router is not None:
            await _stop(router)
        await trio.to_thread.run_sync(pair.down)
