"""The `audit` scenario expectation: its schema and how a failed one reads."""

from __future__ import annotations

import pytest
import trio

from cucme_lab.lab.yamlnodes import SchemaError
from cucme_lab.scenarios.audit_expect import audit_checks
from cucme_lab.scenarios.scenario import load_scenario

from .test_audit_states import default_lab

HEAD = "name: x\nlab: {phones: []}\nsettings: {network: false}\nsteps:\n"


@pytest.mark.parametrize("body, message", [
    ("  - expect: {audit: {}}\n", "say what to expect of the audit"),
    ("  - expect: {audit: {score-at-least: 120}}\n", ""),
    ("  - expect: {audit: {presnt: [x]}}\n", "presnt"),
])
def test_a_malformed_audit_expectation_is_a_schema_error(tmp_path, body, message):
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + body)
    with pytest.raises(SchemaError) as err:
        load_scenario(path)
    assert err.value.line == 5
    assert message in str(err.value)


async def test_a_failed_audit_expectation_shows_what_was_found(router):
    with trio.fail_after(30):
        await default_lab(router)
        checks = audit_checks(router, {"present": ("sast-shared-key",),
                                       "absent": ("phone-not-encrypted",), "score": 90})
    assert [c.ok for c in checks] == [False, False, False]
    assert "phone-not-encrypted/1" in checks[0].observed
    assert checks[1].observed.startswith("present: phone-not-encrypted/1, ")
    assert checks[2].expected == ">= 90"
