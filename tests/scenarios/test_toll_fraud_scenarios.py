"""The toll-fraud library scenarios run on a real lab (router, phones, the simulated PSTN, all
on loopback): the chapter's COR and after-hours examples decide every call of the matrix."""

from __future__ import annotations

import pytest

from cucme_lab.scenarios import runner
from cucme_lab.scenarios.runner import run_file

TOLL_FRAUD = ["toll_cor_matrix", "toll_after_hours", "toll_transfer_and_forward",
              "toll_cor_typo"]


@pytest.mark.parametrize("name", TOLL_FRAUD)
def test_the_toll_fraud_scenario_passes(name):
    result = run_file(runner.LIBRARY / f"{name}.yaml")
    assert result.status == "passed", runner.format_result(result)
