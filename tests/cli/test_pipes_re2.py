"""The output pipes' regular expressions: IOS's dialect, on a linear-time engine, bounded.

`show clock | include (.|.){26}@` took 15.6 s on Python's backtracking `re`, doubling with each
step of the count, and froze every service meanwhile; RE2 answers at once.
"""

from __future__ import annotations

import pytest

from cucme_lab.shell.output import MAX_PATTERN, apply_pipe, parse_pipe, translate
from cucme_lab.shell.session import INVALID

CATASTROPHIC = "(.|.){32}@"  # about 2**32 backtracking steps per line on `re`


def pipe(text: str):
    result = parse_pipe(text)
    assert result is not None, text
    return result


def test_pipe_patterns_are_compiled_by_re2():
    for kind in ("include", "exclude", "begin", "section", "count"):
        assert type(pipe(f"{kind} {CATASTROPHIC}").regex).__module__ == "re2"


async def test_a_catastrophic_pattern_answers_at_once_and_correctly(shell):
    out = await shell.type(f"show clock | include {CATASTROPHIC}", "show clock | include (.|.){20}",
                           f"show clock | count {CATASTROPHIC}")
    lines = out.splitlines()
    assert lines[0] == f"Router#show clock | include {CATASTROPHIC}"
    assert lines[1] == "Router#show clock | include (.|.){20}"  # nothing matched
    assert "UTC" in lines[2]  # the clock line is longer than 20 characters
    assert lines[4] == "Number of lines which match regexp = 0"


TEXT = "a,b\nx{1300}y\nf(n)\nip_http server\nend space \nnone1300here\n1300\n"


@pytest.mark.parametrize("pattern, kept", [
    ("_1300_", ["x{1300}y", "1300"]),  # braces, start and end of the line
    ("_n_", ["f(n)"]),  # parentheses
    ("a_b", ["a,b"]),  # comma
    ("space_", ["end space "]),  # space (and end)
    ("ip_http", ["ip_http server"]),  # an underscore still finds itself
    (r"ip\_http", ["ip_http server"]),  # escaped: only an underscore
    (r"a\_b", []),
    ("[_,]b", ["a,b"]),  # inside brackets `_` is itself
    ("^end_space_$", ["end space "]),
])
def test_underscore_is_ios_delimiter(pattern, kept):
    assert apply_pipe(TEXT, pipe(f"include {pattern}")).splitlines() == kept


def test_translation_leaves_escapes_and_brackets_alone():
    assert translate(r"\_[_]_") == r"\_[_](?:^|$|[,{}() _])"
    assert translate("[]_]x") == "[]_]x"
    assert translate("ntp server") == "ntp server"


async def test_existing_filters_keep_working(shell):
    await shell.type("conf t", "ntp server 1.1.1.1", "ntp server 2.2.2.2", "end")
    out = await shell.type("show running-config | include ^ntp_server_[12]\\.")
    assert out.splitlines()[1:3] == ["ntp server 1.1.1.1", "ntp server 2.2.2.2"]
    out = await shell.type("show running-config | exclude .")
    assert set(out.splitlines()[1:-1]) <= {""}  # only empty lines survive
    out = await shell.type("show logging | include CONFIG_I")
    assert "%SYS-5-CONFIG_I: Configured from console by console" in out


@pytest.mark.parametrize("pattern", [
    "(",  # unbalanced: refused as before
    "a**",
    r"(a)\1",  # recall: RE2 has no backreferences
    "x" * (MAX_PATTERN + 1),  # over-long
    "(\\pL|\\pN){1000}",  # more program than RE2's memory bound
])
async def test_bad_or_oversized_patterns_get_the_caret_under_the_pipe(shell, pattern, capfd):
    line = f"show clock | include {pattern}"
    out = await shell.type(line)
    assert out.startswith(f"Router#{line}\n{' ' * len('Router#show clock ')}^\n{INVALID}\n")
    assert capfd.readouterr().err == ""  # RE2 logs nothing to the lab's stderr


def test_the_longest_pattern_is_accepted():
    assert parse_pipe("include " + "x" * MAX_PATTERN) is not None
