"""The dashboard over real HTTP on loopback: page, state, event stream, controls, bad input."""

from __future__ import annotations

import json

import trio

from cucme_lab.lab.dashboard.server import open_dashboard
from cucme_lab.lab.manifest import read_manifest

from .http_client import EventStream, request

PHONE = "SEPCAFECAFE1234"


async def test_serves_page_state_and_manifest_url(runtime):
    with trio.fail_after(30):
        async with open_dashboard(runtime) as dash:
            assert dash.url.startswith("http://127.0.0.1:")
            assert read_manifest(runtime.lab.lab_dir)["dashboard"]["url"] == dash.url
            page = await request(dash.url, path="/")
            assert page.status == 200 and b"/static/dashboard.js" in page.body
            script = await request(dash.url, path="/static/dashboard.js")
            assert script.status == 200 and b"EventSource" in script.body
            state = (await request(dash.url, path="/api/state")).json()
            assert PHONE in state["phones"]
            assert state["phones"][PHONE]["simulated"] is True
            assert state["topology"]["hostname"] == "CME"
            assert any(i["name"] == "Vlan10" and i["state"] == "up"
                       for i in state["topology"]["interfaces"])
            assert state["rollout"]["total"] == 4
            services = {s["name"]: s for s in state["topology"]["services"]}
            assert services["pki-enrolment"]["state"] == "running"  # no socket to listen on
            assert services["tftp"]["state"] == "listening"
        assert "dashboard" not in read_manifest(runtime.lab.lab_dir)


async def test_stream_sends_snapshot_then_the_phone_change(runtime):
    with trio.fail_after(40):
        async with open_dashboard(runtime) as dash:
            await runtime.phone(1).wait_until(lambda p: p.state == "registered", 30)
            events = await EventStream(dash.url).open()
            try:
                assert events.status == 200
                kind, snapshot = await events.next_event()
                assert kind == "snapshot" and snapshot["phones"][PHONE]["state"] == "registered"
                runtime.fleet.power_off(runtime.phone(1))
                while True:
                    kind, update = await events.next_event()
                    phone = update.get("phones", {}).get(PHONE)
                    if phone is not None and phone["state"] == "off":
                        break
                assert kind == "update"
            finally:
                await events.aclose()


async def test_control_reaches_the_phone_and_bad_requests_get_reasons(runtime):
    with trio.fail_after(40):
        async with open_dashboard(runtime) as dash:
            for p in runtime.phones[:2]:
                await p.wait_until(lambda q: q.state == "registered", 30)
            ok = await request(dash.url, "POST", f"/api/phones/{PHONE}/dial",
                               json.dumps({"digits": "7002"}).encode())
            assert ok.status == 200, ok.body
            await runtime.phone(2).wait_until(
                lambda q: any(c.state == "ringin" for c in q.calls), 10)
            hang = await request(dash.url, "POST", f"/api/phones/{PHONE}/hangup")
            assert hang.status == 200

            cases = [
                ("/api/phones/SEP000000000001/answer", b"", 404, "no such phone"),
                (f"/api/phones/{PHONE}/explode", b"", 404, "no such control"),
                (f"/api/phones/{PHONE}/dial", b"{not json", 400, "malformed body"),
                (f"/api/phones/{PHONE}/dial", b"[1, 2]", 400, "JSON object"),
                (f"/api/phones/{PHONE}/dial", b'{"digits": "12; rm"}', 400, "digits"),
                (f"/api/phones/{PHONE}/key", b'{"digits": 5}', 400, "digits"),
                (f"/api/phones/{PHONE}/dial", b"x" * 5000, 413, "larger than"),
            ]
            for path, body, status, reason in cases:
                reply = await request(dash.url, "POST", path, body)
                assert reply.status == status, (path, reply.status, reply.body)
                assert reason in reply.json()["error"]
            # a control the phone cannot carry out now: the lab's own error text
            answer = await request(dash.url, "POST", f"/api/phones/{PHONE}/answer")
            assert answer.status == 409 and answer.json()["error"]
            assert (await request(dash.url, path="/api/state")).status == 200


async def test_stream_cap_and_disconnect_mid_stream(runtime):
    with trio.fail_after(30):
        async with open_dashboard(runtime, max_streams=3) as dash:
            streams = [await EventStream(dash.url).open() for _ in range(3)]
            for s in streams:
                assert (await s.next_event())[0] == "snapshot"
            refused = await request(dash.url, path="/events")
            assert refused.status == 503 and "3 event streams" in refused.json()["error"]
            # browsers gone without a word: their streams are freed
            for s in streams:
                await s.aclose()
            while dash.hub.streams:
                runtime.router.log.log("%SYS-5-CONFIG_I: Configured from console by console")
                await trio.sleep(0.05)
            again = await EventStream(dash.url).open()
            assert (await again.next_event())[0] == "snapshot"
            await again.aclose()
            assert (await request(dash.url, path="/api/state")).status == 200


async def test_hundreds_of_event_streams_are_capped_and_the_lab_keeps_working(runtime):
    with trio.fail_after(60):
        async with open_dashboard(runtime) as dash:  # the default cap: 64 streams
            opened: list[EventStream] = []
            statuses: list[int] = []
            try:
                for _ in range(200):
                    stream = await EventStream(dash.url).open()
                    opened.append(stream)
                    statuses.append(stream.status)
                assert statuses.count(200) == 64 and statuses.count(503) == 136
                assert dash.hub.refused == 136
                runtime.fleet.power_off(runtime.phone(1))
                assert (await request(dash.url, path="/api/state")).status == 200
            finally:
                for stream in opened:
                    await stream.aclose()
