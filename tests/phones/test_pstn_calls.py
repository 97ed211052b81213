"""Calls to the simulated PSTN behind the voice ports, end to end on real sockets: the lab
file's number rules (answer after a delay, busy, never answers), the test signal from the far
end, `lab.json`'s `pstn.calls`, and no call left behind when the caller gives up."""

from __future__ import annotations

import json

import trio
from phone_steps import all_registered, control, media_flowing, type_lines, until

from cucme_lab.lab.labfile import DEFAULT_LAB, load_lab, parse_lab
from cucme_lab.lab.runtime import run_lab
from cucme_lab.lab.yamlnodes import load

PEERS = ["enable", "configure terminal", "dial-peer voice 9 pots",
         "destination-pattern 9T", "port 1/0", "gw-accounting syslog", "end"]
PSTN = """\
lab:
  pstn:
    answer-delay: 0.2
    numbers:
      - {digits: "555....", result: busy}
      - {digits: "666T", result: no-answer}
      - {digits: "777", result: no-answer, delay: 5}
"""


def labfile(tmp_path):
    lab = load_lab(DEFAULT_LAB)
    (tmp_path / "pstn.yaml").write_text(PSTN)
    lab.pstn = parse_lab(load(tmp_path / "pstn.yaml").mapping({"lab"})["lab"]).pstn
    return lab


async def test_pstn_numbers_answer_are_busy_or_ring_as_the_lab_file_says(tmp_path):
    with trio.fail_after(60):
        async with run_lab(tmp_path / "lab", labfile(tmp_path), time_scale=0.1) as runtime:
            await all_registered(runtime)
            out = await type_lines(runtime.router, PEERS)
            assert "% " not in out, out
            p1 = runtime.phones[0]
            # every other number answers, after the delay, with the far end's test signal
            await control(runtime, "dial 1 9123#")
            await control(runtime, "wait 1 connected 5")
            await until(p1, media_flowing(20), timeout=10)
            call = p1.calls[0]
            assert (call.security, call.other_number) == ("non-secure", "123")
            await control(runtime, "hangup 1")
            await control(runtime, "wait all idle 5")
            # a busy number: busy tone at the phone
            await control(runtime, "dial 1 95551234#")
            await control(runtime, "wait 1 busy 5")
            await control(runtime, "hangup 1")
            await control(runtime, "wait all idle 5")
            # a number that never answers rings until the caller gives up; nothing stays
            await control(runtime, "dial 1 9666#")
            await control(runtime, "wait 1 ringout 5")
            await control(runtime, "hangup 1")
            await control(runtime, "wait all idle 5")
            # one the network gives up on after its delay: reorder at the phone
            await control(runtime, "dial 1 9777#")
            await control(runtime, "wait 1 reorder 5")
            await control(runtime, "hangup 1")
            await control(runtime, "wait all idle 5")
            assert not runtime.router.phones.calls.calls
            assert runtime.router.phones.voice_ports.endpoints["1/0"].legs == {}
            runtime.lab.write_manifest()
            manifest = json.loads((runtime.lab.lab_dir / "lab.json").read_text())
            calls = manifest["pstn"]["calls"]
            assert [(c["port"], c["digits"], c["result"]) for c in calls] == [
                ("1/0", "123", "answered"), ("1/0", "5551234", "busy"),
                ("1/0", "666", "no-answer"), ("1/0", "777", "no-answer")]
            assert calls[0]["media"]["sent"] > 0 and calls[0]["media"]["received"] > 0
            assert calls[0]["media"]["signal"] > 0  # the phone's test signal reached it
            assert "1/0    5551234                  busy" in await control(runtime, "pstn")
            history = await type_lines(runtime.router, ["enable",
                                                        "show call history voice brief"])
            assert "11 (user busy (17))" in history
            cdr = next(line for line in runtime.router.log.lines
                       if "VOIP_CALL_HISTORY" in line and "PeerAddress 123," in line)
            assert "TransmitPackets 0," not in cdr  # the far end's media were counted


async def test_a_pstn_call_holds_resumes_and_transfers_to_another_phone(tmp_path):
    with trio.fail_after(90):
        async with run_lab(tmp_path / "lab", labfile(tmp_path), time_scale=0.1) as runtime:
            await all_registered(runtime)
            out = await type_lines(runtime.router, PEERS)
            assert "% " not in out, out
            p1, p2 = runtime.phones[:2]
            await control(runtime, "dial 1 9123#")
            await control(runtime, "wait 1 connected 5")
            await until(p1, media_flowing(20), timeout=10)
            # hold: the far end hears the router's music on hold; resume: the signal again
            await control(runtime, "hold 1")
            await control(runtime, "wait 1 hold 5")
            await control(runtime, "resume 1")
            await control(runtime, "wait 1 connected 5")
            await until(p1, media_flowing(20), timeout=10)
            # blind transfer of the PSTN call to 7002 (no COR configured: allowed)
            await control(runtime, "transfer 1 7002")
            await control(runtime, "wait 2 ringin 5")
            await control(runtime, "answer 2")
            await control(runtime, "wait 2 connected 5")
            await until(p2, media_flowing(20), timeout=10)
            assert p2.calls[0].other_number == "123"  # the PSTN party, as its digits went out
            assert not p1.calls
            pstn = runtime.lab.pstn
            assert [c.result for c in pstn.calls] == ["answered"]
            await control(runtime, "hangup 2")
            await control(runtime, "wait all idle 5")
            assert not runtime.router.phones.calls.calls
            assert runtime.router.phones.voice_ports.endpoints["1/0"].legs == {}
