"""The library scenarios of the chapter's syslog and NTP blocks, run against rsyslog and
chrony, and the `outside-server` step's schema."""

from __future__ import annotations

import pytest

from cucme_lab.lab.yamlnodes import SchemaError
from cucme_lab.scenarios import runner
from cucme_lab.scenarios.runner import run_file
from cucme_lab.scenarios.scenario import load_scenario

HEAD = 'lab: {phones: []}\nsteps:\n'


@pytest.mark.parametrize("name", ["mgmt_syslog_ntp", "fail_ntp_wrong_key"])
def test_the_syslog_and_ntp_library_scenarios_pass(tmp_path, name):
    result = run_file(runner.LIBRARY / f"{name}.yaml", lab_root=tmp_path)
    assert result.status == "passed", runner.format_result(result)


@pytest.mark.parametrize("step, message", [
    ("{syslog: 1.2.3.4, ntp: 1.2.3.5}", "names one host"),
    ("{syslog: not-an-address}", "an IPv4 address"),
    ("{syslog: 1.2.3.4, time: '2027-01-01 00:00:00'}", "for an NTP server"),
    ("{ntp: 1.2.3.4, keys: {one: x}}", "key numbers"),
    ("{ntp: 1.2.3.4, time: 'next friday'}", "a time as YYYY-MM-DD HH:MM"),
    ("{dns: 1.2.3.4}", "unknown field"),
])
def test_outside_server_steps_are_checked(tmp_path, step, message):
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + f"  - outside-server: {step}\n")
    with pytest.raises(SchemaError, match=message):
        load_scenario(path)
