"""Input at the command line's edges: numbers of ASCII digits only, bounded before conversion.

A client typing a number of thousands of digits, or digits of another script (`１０`, `١١١١`),
gets IOS's caret under the number, never an exception that ends its line or the lab.
"""

from __future__ import annotations

import pytest

from cucme_lab.shell.argtypes import BASIC_TYPES, ascii_number, number_range, resolve_type
from cucme_lab.shell.session import INVALID

HUGE = "9" * 4301  # one past int()'s 4,300-digit limit
FULLWIDTH_10 = "\uff11\uff10"  # １０
ARABIC_1111 = "\u0661" * 4  # ١١١١


def caret_error(prompt: str, line: str, word: str) -> str:
    """What IOS prints for `line` refused at `word`: the echo, the caret under it, the error."""
    return f"{prompt}{line}\n{' ' * (len(prompt) + line.index(word))}^\n{INVALID}\n"


@pytest.mark.parametrize("line, word, priv", [
    (f"terminal length {HUGE}", HUGE, 1),
    ("terminal length 513", "513", 1),  # out of range: the answer the huge number now gets too
    (f"enable {HUGE}", HUGE, 1),
    (f"show ephone {HUGE}", HUGE, 15),
    (f"show ephone {FULLWIDTH_10}", FULLWIDTH_10, 15),
    (f"terminal length {FULLWIDTH_10}", FULLWIDTH_10, 1),
])
async def test_exec_numbers_too_long_or_not_ascii_get_the_caret(shell, line, word, priv):
    out = await shell.type(line, priv=priv)
    prompt = "Router>" if priv == 1 else "Router#"
    assert caret_error(prompt, line, word) in out


async def test_terminal_length_with_leading_zeros_is_still_a_number(shell):
    out = await shell.type("terminal length 0024", priv=1)
    assert out == "Router>terminal length 0024\nRouter>"


@pytest.mark.parametrize("line, word", [
    (f"ephone {HUGE}", HUGE),
    (f"interface Vlan{HUGE}", f"Vlan{HUGE}"),
    ("interface Vlan 000000000010", "Vlan"),  # as `Vlan 5000`: the caret under the type
    (f"clock timezone PST {HUGE}", HUGE),
    ("clock timezone PST \u0665", "\u0665"),  # ٥
])
async def test_config_numbers_too_long_or_not_ascii_get_the_caret(shell, line, word):
    out = await shell.type("configure terminal", line)
    assert caret_error("Router(config)#", line, word) in out


async def test_fullwidth_digits_name_no_interface(shell, router):
    line = f"interface Vlan{FULLWIDTH_10}"
    out = await shell.type("configure terminal", line, "end")
    assert caret_error("Router(config)#", line, f"Vlan{FULLWIDTH_10}") in out
    assert "Router(config-if)#" not in out
    assert FULLWIDTH_10 not in router.running_config()
    assert "interface Vlan10" not in router.running_config()


async def test_capf_auth_string_is_keypad_digits_only(shell, router):
    line = f"capf-auth-str {ARABIC_1111}"
    out = await shell.type("configure terminal", "ephone 1", line, "capf-auth-str 1234")
    assert caret_error("Router(config-ephone)#", line, ARABIC_1111) in out
    assert " capf-auth-str 1234\n" in router.running_config()
    assert ARABIC_1111 not in router.running_config()


async def test_keywords_fold_ascii_case_only(shell):
    # The Kelvin sign lowers to `k` in Python; no terminal key types it as a `k`.
    out = await shell.type("configure terminal", "line vty 0 4", "transport input \u212aelnet")
    assert INVALID in out
    out = await shell.type("SHOW CLOCK")
    assert INVALID not in out


# --- every argument type, directly -----------------------------------------------------------

NOT_ASCII = [
    ("A.B.C.D", "\uff11.2.3.4"),
    ("MASK", "255.255.255.\uff10"),
    ("HH:MM", "\u0661\u0662:00"),
    ("HH:MM:SS", "12:00:\u0660\u0660"),
    ("BUTTON", "1:\u0661"),
    ("PORT", "0/\u0661"),
    ("DIGITS", ARABIC_1111),
    ("INT", "\u0665"),
    ("INT", "-\uff15"),
    ("URL", "flash\u0661:file"),
    ("URL", "http\u017f://host/x"),  # long s: IGNORECASE alone folds it to `s`
    ("FLASHFILE", "slot\u0661:file"),
    ("MONTH", "\u212aan"),
    ("WEEKDAY", "Mon\u0434"),
    ("PATTERN", "\u0661\u0662"),
    ("INTERFACE", f"Vlan{FULLWIDTH_10}"),
    ("INTERFACE", f"Loopback{HUGE}"),
    ("INTERFACE", "FastEthernet0/00000000000"),
]


@pytest.mark.parametrize("spec, token", NOT_ASCII)
def test_argument_types_refuse_non_ascii_digits_and_overlong_numbers(spec, token):
    assert BASIC_TYPES[spec].parse(token) is None


@pytest.mark.parametrize("spec, token, value", [
    ("A.B.C.D", "10.0.0.1", "10.0.0.1"),
    ("HH:MM", "7:05", "07:05"),
    ("HH:MM:SS", "23:59:59", "23:59:59"),
    ("BUTTON", "1:10,11", "1:10,11"),
    ("DIGITS", "0123", "0123"),
    ("INT", "+5", 5),
    ("INT", "-2147483648", -2147483648),
    ("INT", "2147483647", 2147483647),
    ("INT", "-0000000000023", -23),
    ("URL", "FLASH:x.cfg", "FLASH:x.cfg"),
    ("URL", "tftp://10.0.0.1/x", "tftp://10.0.0.1/x"),
    ("MONTH", "dec", 12),
    ("INTERFACE", "Loopback2147483647", "Loopback2147483647"),
    ("INTERFACE", "fa0/1", "FastEthernet0/1"),
])
def test_argument_types_accept_what_they_did(spec, token, value):
    assert BASIC_TYPES[spec].parse(token) == value


@pytest.mark.parametrize("token", ["2147483648", "-2147483649", HUGE, "-" + HUGE, "1_000", " 5"])
def test_int_is_a_signed_32_bit_number(token):
    assert BASIC_TYPES["INT"].parse(token) is None


def test_ranges_and_digit_strings_check_length_before_converting():
    enable = number_range(0, 15)
    assert enable.parse("15") == 15 and enable.parse("0015") == 15 and enable.parse("0") == 0
    assert enable.parse("16") is None and enable.parse(HUGE) is None
    assert enable.parse("0" * 5000 + "7") == 7  # leading zeros are not digits of the value
    assert enable.parse("\uff11") is None and enable.parse("+1") is None
    capf = resolve_type("DIGITS(4,10)")
    assert capf is not None
    assert capf.parse("1234") == "1234" and capf.parse(ARABIC_1111) is None
    assert capf.parse("123") is None and capf.parse("1" * 11) is None
    assert ascii_number(HUGE, 0, 2**64) is None and ascii_number("4" * 20, 0, 2**64) is None


async def test_a_huge_or_non_ascii_modulus_answer_is_refused(shell):
    out = await shell.type("conf t", "hostname R1", "ip domain name lab.example",
                           "crypto key generate rsa", "9" * 4301)
    assert "% You must choose a key modulus in the range of" in out
    out = await shell.type("conf t", "crypto key generate rsa", "١٠٢٤")
    assert "% You must choose a key modulus in the range of" in out


async def test_a_huge_or_non_ascii_acl_port_is_refused(shell, router):
    for port in ("9" * 4301, "٢٢"):
        out = await shell.type("conf t", f"access-list 101 permit tcp any any eq {port}")
        assert "% Invalid input detected at '^' marker." in out
    assert 101 not in router.config.access_lists

