"""The outside servers' start-up: a server that does not come up says why."""

from __future__ import annotations

import trio

from cucme_lab.lab.outside_servers import _start, _stop, _why


async def test_a_server_that_exits_is_reported_with_its_status_and_last_lines(tmp_path):
    log = tmp_path / "server.log"
    process = await _start(["sh", "-c", "echo starting; echo 'cannot bind' >&2; exit 3"], log)
    with trio.fail_after(10):
        await process.wait()
    why = _why(process, log)
    assert "exited with status 3" in why
    assert "starting | cannot bind" in why  # stdout and stderr, in order


async def test_a_server_still_running_is_reported_as_such_and_stopped(tmp_path):
    log = tmp_path / "server.log"
    process = await _start(["sh", "-c", "echo waiting; exec sleep 60"], log)
    try:
        with trio.fail_after(10):
            while "waiting" not in log.read_text():
                await trio.sleep(0.02)
        assert _why(process, log) == f" (still running; {log}: waiting)"
    finally:
        await _stop(process)
    assert process.returncode is not None
