"""The pytest plugin (entry point `cucme_lab` in `pytest11`): scenarios as tests, lab fixtures.

Collection: under the paths pytest collects, every file named `scenario_*.yaml` or
`*.scenario.yaml` is one test item. With `--scenario-library` (or the ini option
`scenario_library = true`, for runs that do not name their paths) the library shipped in
`scenarios/library/` is collected too.
Under pytest-xdist (`-n N`) the scenarios are handed out longest first, by their durations in
the last run (the times `cucme-lab scenario run -j N` keeps too; every run records them), and
one at a time (`--maxschedchunk 1` unless given), so a long scenario does not start last, nor
wait behind three others on one worker, while the other workers idle.
A failed expectation fails the item with the scenario's timeline (expected and observed); an
invalid file fails it with the schema error (file, line, field); a `status: draft` scenario is
skipped with its reason (`--run-drafts` runs them).

Fixtures for your own tests (async: run them with pytest-trio, `trio_mode = true` or
`@pytest.mark.trio`): `lab` (a running `LabRuntime`: router, services and phones), `router`
(its router) and `phones` (its phones). Choose the lab with a marker:

    @pytest.mark.cucme_lab(labfile="my_lab.yaml", boot_phones=False, time_scale=0.1)

A project's own `conftest.py` fixtures of the same names take precedence, as pytest does for
every plugin fixture.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

import pytest

# Only the standard library and pytest at import time: this module loads in every pytest run
# of an environment where cucme-lab is installed; the lab itself is imported when used.
LIBRARY = Path(__file__).parent / "library"
PATTERNS = ("scenario_*.yaml", "*.scenario.yaml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cucme-lab", "cucme-lab scenarios")
    group.addoption("--scenario-library", action="store_true", default=None,
                    help="also collect the scenario library shipped with cucme-lab")
    group.addoption("--run-drafts", action="store_true", default=False,
                    help="run scenarios marked `status: draft` instead of skipping them")
    parser.addini("scenario_library", "collect the cucme-lab scenario library", type="bool",
                  default=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cucme_lab(labfile=None, boot_phones=True, "
                            "time_scale=1.0): the lab the `lab`, `router` and `phones` "
                            "fixtures start")
    wanted = config.getoption("scenario_library")
    if wanted is None:
        # The ini option is for whole runs (testpaths, or the current folder): a run that names
        # its paths (`pytest tests/test_x.py`) gets those only, unless it asks for the library.
        wanted = config.getini("scenario_library") and \
            config.args_source != pytest.Config.ArgsSource.ARGS
    if wanted and str(LIBRARY) not in config.args:
        config.args.append(str(LIBRARY))
    if getattr(config.option, "maxschedchunk", False) is None and _runs_scenarios(config.args):
        # xdist's --dist load hands each worker consecutive chunks (four of the 33 library
        # scenarios at first): the four longest went to one worker. Its documented cure for
        # "a small number of slow tests" is one at a time; a user's own --maxschedchunk wins.
        config.option.maxschedchunk = 1


def _runs_scenarios(args: list[str]) -> bool:
    """Whether the paths pytest was given hold scenarios (the library, a scenario file, or a
    folder with scenario files directly in it)."""
    for arg in args:
        path = Path(arg.split("::", 1)[0])
        try:
            if path.resolve() == LIBRARY.resolve() or (path.is_file() and is_scenario_file(path)):
                return True
            if path.is_dir() and any(any(path.glob(p)) for p in PATTERNS):
                return True
        except OSError:
            continue
    return False


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """In an xdist worker (each collects alike; the controller hands items out in this
    order): scenarios longest first, other tests after them in their own order."""
    if not hasattr(config, "workerinput") or not any(isinstance(i, ScenarioItem) for i in items):
        return
    from cucme_lab.scenarios.parallel import expected_seconds, load_times

    times = load_times()
    items.sort(key=lambda i: -expected_seconds(i.path, times) if isinstance(i, ScenarioItem)
               else 0.0)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Each scenario's duration, for the next run's order (in the process that reports: the
    controller of an xdist run, else the only one)."""
    if report.when == "call" and any(k == "scenario_status" for k, _ in report.user_properties):
        _durations[report.fspath] = report.duration


_durations: dict[str, float] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _durations or hasattr(session.config, "workerinput"):
        return
    from cucme_lab.scenarios.parallel import remember_times

    root = session.config.rootpath
    remember_times({root / name: seconds for name, seconds in _durations.items()})
    _durations.clear()


def is_scenario_file(path: Path) -> bool:
    if path.suffix != ".yaml":
        return False
    if path.parent.resolve() == LIBRARY.resolve():
        return True
    return any(fnmatch.fnmatch(path.name, p) for p in PATTERNS)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_scenario_file(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):  # type: ignore[no-untyped-def]
        yield ScenarioItem.from_parent(self, name=self.path.name.split(".")[0])


class ScenarioFailed(Exception):
    def __init__(self, result: Any) -> None:  # a scenarios.runner.ScenarioResult
        super().__init__(result.status)
        self.result = result


class ScenarioItem(pytest.Item):
    @property
    def obj(self):  # type: ignore[no-untyped-def]
        """Plugins that look at a test's function (pytest-trio's trio_mode) see a plain one."""
        return self.runtest

    def runtest(self) -> None:
        from cucme_lab.scenarios.runner import run_file

        lab_root = Path(self.config._tmp_path_factory.mktemp("scenario"))  # type: ignore[attr-defined]
        result = run_file(self.path, lab_root=lab_root,
                          run_drafts=self.config.getoption("run_drafts"))
        self.user_properties.append(("scenario_status", result.status))
        if result.status == "skipped":
            pytest.skip(result.reason)
        if result.status != "passed":
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            from cucme_lab.scenarios.runner import format_result

            return format_result(excinfo.value.result)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"


# --- fixtures for users' own tests -----------------------------------------------------------

@pytest.fixture
async def cucme_lab_runtime(request: pytest.FixtureRequest, tmp_path: Path):
    """A running lab (router, services, phones) in this test's own folder and loopback range."""
    from cucme_lab.lab.labfile import DEFAULT_LAB, load_lab
    from cucme_lab.lab.runtime import run_lab

    marker = request.node.get_closest_marker("cucme_lab")
    options = dict(marker.kwargs) if marker is not None else {}
    labfile = options.get("labfile") or DEFAULT_LAB
    path = Path(labfile)
    if not path.is_absolute() and not path.exists():
        path = Path(request.node.path).parent / path
    async with run_lab(tmp_path / "lab", load_lab(path),
                       boot_phones=options.get("boot_phones", True),
                       time_scale=options.get("time_scale", 1.0)) as runtime:
        yield runtime


@pytest.fixture
def lab(cucme_lab_runtime):  # type: ignore[no-untyped-def]
    """The running lab (`cucme_lab.lab.runtime.LabRuntime`)."""
    return cucme_lab_runtime


@pytest.fixture
def router(cucme_lab_runtime):  # type: ignore[no-untyped-def]
    """The running lab's router (`cucme_lab.router.router.Router`)."""
    return cucme_lab_runtime.router


@pytest.fixture
def phones(cucme_lab_runtime):  # type: ignore[no-untyped-def]
    """The running lab's phones (`cucme_lab.phones.phone.Phone`), in lab-file order."""
    return cucme_lab_runtime.phones
