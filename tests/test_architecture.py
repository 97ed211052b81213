"""The architecture as tests: the import contracts hold, and wiring is explicit.

DESIGN section 2: the layers are checked by import-linter in the test run, and nothing
registers itself as a side effect of an import; the lab layer builds the objects and passes
them in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from cucme_lab.lab.router_lab import open_lab
from cucme_lab.shell.declarations import CommandSet
from cucme_lab.shell.vty import VtyFrontend

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter on this checkout's sources."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src")] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold():
    result = _python("""
        import sys
        from importlinter.cli import lint_imports
        sys.exit(lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True))
    """)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_services_and_the_shell_registers_nothing():
    result = _python("""
        import sys
        import cucme_lab.router.access as access
        import cucme_lab.router.pki.validation as validation
        import cucme_lab.services.pki_client
        import cucme_lab.services.sccp
        import cucme_lab.services.ssh
        import cucme_lab.services.telnet
        import cucme_lab.shell.boot
        import cucme_lab.shell.session
        import cucme_lab.shell.vty

        # no hook a module could have filled in on import
        assert not hasattr(access, "register_frontend") and not hasattr(access, "frontend")
        assert not hasattr(validation, "register_network_source")
        # a session does not pull the command declarations in behind its caller's back
        pulled = [m for m in sys.modules if m.startswith("cucme_lab.shell.commands")]
        assert pulled == [], pulled
        # nor do the services reach for the lab or the shell
        reached = [m for m in sys.modules if m.startswith(("cucme_lab.lab", "cucme_lab.scenarios"))]
        assert reached == [], reached
    """)
    assert result.returncode == 0, result.stderr


def test_command_modules_declare_only_into_themselves():
    result = _python("""
        import cucme_lab.shell.commands as commands
        from cucme_lab.shell.declarations import CommandSet
        from cucme_lab.shell.modes import MODES

        assert all(module.DECLARED.items for module in commands.MODULES)
        empty = CommandSet([])  # every command module is imported, and yet:
        assert not any(empty.commands(mode) for mode in MODES)
        assert commands.command_set().commands("exec")
    """)
    assert result.returncode == 0, result.stderr


async def test_a_lab_built_by_the_lab_layer_is_wired(tmp_path):
    async with open_lab(tmp_path / "lab", services=[]) as lab:
        assert isinstance(lab.commands, CommandSet)
        assert isinstance(lab.vty_frontend, VtyFrontend)
        assert lab.vty_frontend.commands is lab.commands
        assert callable(lab.crl_source)
        assert lab.router.addresses is lab.addresses


# Section methods that look a setting up by its key string: only the shell (which declares the
# plain settings nothing acts on) and the Section itself may call them with a literal key.
KEY_READERS = {"value", "has", "with_prefix"}


def _key_string_reads(path: Path) -> list[str]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in KEY_READERS and node.args
                and isinstance(node.args[0], ast.Constant | ast.JoinedStr)):
            found.append(f"{path}:{node.lineno}: .{node.func.attr}(...)")
    return found


def test_no_code_outside_the_shell_reads_a_setting_by_key_string():
    package = ROOT / "src" / "cucme_lab"
    found = [hit for path in sorted(package.rglob("*.py"))
             if "shell" not in path.relative_to(package).parts[:1]
             and path != package / "router" / "config" / "section.py"
             for hit in _key_string_reads(path)]
    assert found == [], "read the typed attribute instead:\n" + "\n".join(found)


def test_the_key_string_check_sees_a_read(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('def f(sec):\n    return sec.value("ip address", "address")\n')
    assert _key_string_reads(probe) == [f"{probe}:2: .value(...)"]
