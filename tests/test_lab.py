"""The lab runtime: address plan, service manager, manifest."""

from __future__ import annotations

import json

import trio

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.lab.router_lab import open_lab
from cucme_lab.services.manager import Binding


def test_address_plan_maps_subnets_both_ways():
    plan = AddressPlan(base=30)
    assert plan.to_loopback("1.2.3.4") == "127.30.1.4"
    assert plan.to_loopback("10.0.0.7") == "127.30.2.7"
    assert plan.to_loopback("1.2.3.99") == "127.30.1.99"
    assert plan.to_configured("127.30.2.7") == "10.0.0.7"
    assert plan.to_configured("127.0.0.1") == "127.0.0.1"


class EchoService:
    """A tiny TCP service wanted while `ip http server` is on (for testing the manager)."""

    name = "echo"

    def wanted(self, lab):
        if not lab.router.config.http_server:
            return []
        return [Binding("echo", "1.2.3.4", 7777)]

    async def serve(self, lab, binding, task_status):
        host = lab.addresses.to_loopback(binding.configured_address)
        listeners = await trio.open_tcp_listeners(binding.configured_port, host=host)
        task_status.started((host, binding.configured_port))
        await trio.serve_listeners(self.handle, listeners)

    async def handle(self, stream):
        async with stream:
            data = await stream.receive_some(100)
            await stream.send_all(data)


async def test_services_follow_the_configuration(tmp_path, shell):
    async with open_lab(tmp_path / "lab", services=[EchoService()]) as lab:
        shell.router = lab.router
        assert lab.services.entries() == []
        await shell.paste_config("ip http server")
        await trio.sleep(0.05)
        [entry] = lab.services.entries()
        manifest = json.loads((tmp_path / "lab" / "lab.json").read_text())
        assert manifest["services"][0]["bound_address"] == entry.bound_address
        stream = await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
        await stream.send_all(b"ping")
        assert await stream.receive_some(10) == b"ping"
        await stream.aclose()
        await shell.paste_config("no ip http server")
        await trio.sleep(0.05)
        assert lab.services.entries() == []
        with trio.move_on_after(1):
            try:
                await trio.open_tcp_stream(entry.bound_address, entry.bound_port)
                raise AssertionError("the port is still open")
            except OSError:
                pass
    assert json.loads((tmp_path / "lab" / "lab.json").read_text())["state"] == "stopped"


class SlowToLetGoService(EchoService):
    """Like EchoService, but a new `version` restarts it, and its old instance needs a few
    scheduler turns to close its listener (as a service with connections to wind down)."""

    name = "slow"
    version = 1

    def wanted(self, lab):
        return [Binding("slow", "1.2.3.4", 7778, options=(("version", self.version),))]

    async def serve(self, lab, binding, task_status):
        host = lab.addresses.to_loopback(binding.configured_address)
        listener = trio.socket.socket()
        listener.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_REUSEADDR, 1)
        await listener.bind((host, binding.configured_port))
        listener.listen()
        task_status.started((host, binding.configured_port))
        try:
            await trio.sleep_forever()
        finally:
            with trio.CancelScope(shield=True):
                for _ in range(5):
                    await trio.lowlevel.checkpoint()
            listener.close()


async def test_a_restarted_service_binds_after_its_old_instance_let_go(tmp_path):
    service = SlowToLetGoService()
    async with open_lab(tmp_path / "lab", services=[service]) as lab:
        [first] = lab.services.entries()
        service.version = 2
        lab.router.mark_changed()
        with trio.fail_after(5):
            while not lab.services.entries() or \
                    lab.services.entries()[0] is first:
                await trio.sleep(0.01)
        assert not lab.router.log.contains("%SYS-3-SOCKET_BIND")
        [second] = lab.services.entries()
        assert (second.bound_address, second.bound_port) == (first.bound_address,
                                                             first.bound_port)


def test_the_manifest_is_written_when_what_it_says_changes(tmp_path):
    """The lab asks for lab.json after every configuration change (a fleet's rollout makes one
    a phone): an unchanged manifest stays the file it was; a change is written, `updated`
    saying when; a deleted file comes back at the next ask."""
    from cucme_lab.lab.manifest import Manifest, read_manifest

    manifest = Manifest(tmp_path, "CME")
    manifest.write()
    path = tmp_path / "lab.json"
    first = path.stat()
    stamp = read_manifest(tmp_path)["updated"]
    manifest.write()
    assert path.stat().st_ino == first.st_ino  # not replaced (atomic writes rename a new one)
    manifest.hostname = "CME2"
    manifest.write()
    data = read_manifest(tmp_path)
    assert data["router"] == {"hostname": "CME2"} and data["updated"] >= stamp
    assert list(data)[:4] == ["pid", "state", "updated", "router"]
    path.unlink()
    manifest.write()
    assert read_manifest(tmp_path)["router"] == {"hostname": "CME2"}
