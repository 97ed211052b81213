"""The tracker alone, on a router without network: progress, the status bar, the time limit."""

from __future__ import annotations

import trio

from cucme_lab.lab.labfile import load_lab
from cucme_lab.scenarios.guided import GuideTracker, format_grade, load_guide
from cucme_lab.scenarios.steps import Context
from cucme_lab.shell.commands import command_set

LAB = """\
lab:
  name: tiny
  guided:
    title: Tiny
    time-limit: 2s
    objectives:
      - {id: secret, text: "Set an enable secret", hint: "enable secret WORD",
         check: {audit: {absent: [enable-secret-missing]}}}
      - {id: phone, text: "Phone 1 registered", hint: "power it on",
         check: {phone: 1, state: registered}}
"""


async def test_progress_status_bar_and_the_time_limit(router, shell, tmp_path, autojump_clock):
    path = tmp_path / "tiny.yaml"
    path.write_text(LAB)
    guide = load_guide(load_lab(path))
    published: list[dict] = []
    with trio.fail_after(60):
        await _run(guide, router, shell, published)


async def _run(guide, router, shell, published: list[dict]) -> None:
    async with trio.open_nursery() as nursery:
        tracker = GuideTracker(guide, Context(router, command_set(), None, nursery),
                               published.append)
        await tracker.judge()
        assert tracker.percent == 0
        assert tracker.status_line() == "Lab 0% [secret- phone-] 00:00/00:02"
        await shell.paste_config("enable secret secretword1\n")
        await tracker.judge()
        assert tracker.percent == 50
        assert tracker.status_line().startswith("Lab 50% [secret+ phone-]")
        progress = tracker.progress()
        assert progress["objectives"][0] == {"id": "secret", "text": "Set an enable secret",
                                             "done": True, "hint": "enable secret WORD"}
        nursery.start_soon(tracker.run)
        await trio.sleep(3)  # past the limit: the state is frozen
        await shell.paste_config("no enable secret\n")
        await trio.sleep(1)
        nursery.cancel_scope.cancel()
    assert published and published[-1]["percent"] == 50
    assert tracker.time_up and tracker.status_line().endswith("TIME UP")
    grade = tracker.grade()
    assert grade["percent"] == 50 and grade["time_up"] and not grade["passed"]
    phone = grade["objectives"][1]
    assert not phone["done"] and "needs the lab's network" in phone["error"]
    assert "hint: power it on" in format_grade(grade)
    assert "time limit passed" in format_grade(grade)
