"""Typed command arguments: what a token must look like, and how `?` names the slot.

Each type accepts one token (LINE takes the rest of the line, INTERFACE may take two) and
returns a Python value, or None when the token does not fit, which is where IOS puts its caret.

A terminal sends bytes and IOS reads digits as the ASCII characters 0-9 only, so every pattern
here spells `[0-9]`, never `\\d` or `str.isdigit()` (both accept `１` and `١`), and a number is
compared with its bound by length before `int()` converts it: `int()` of a few thousand digits
is slow, and past 4,300 raises instead of answering.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cucme_lab.router.chassis import canonical_interface_name, interface_type_names


@dataclass(frozen=True)
class ArgType:
    """One kind of argument slot: its `?` label, its help text and its parser."""

    label: str
    help: str
    parse: Callable[[str], Any]
    rest_of_line: bool = False
    two_tokens: bool = False
    completes: tuple[str, ...] = ()


_ASCII_DIGITS = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"[+-]?([0-9]+)")


def ascii_number(text: str, lo: int, hi: int) -> int | None:
    """`text` as a number in lo..hi when it is ASCII digits only, else None.

    The length is checked against the bound first, so a line of 5,000 nines costs no conversion.
    Leading zeros do not count, as IOS reads `007` as 7.
    """
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    significant = text.lstrip("0") or "0"
    if len(significant) > len(str(max(abs(lo), abs(hi)))):
        return None
    value = int(significant)
    return value if lo <= value <= hi else None


def _ipv4(tok: str) -> str | None:
    if not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", tok):
        return None
    try:
        return str(ipaddress.IPv4Address(tok))
    except ValueError:
        return None


def _mask(tok: str) -> str | None:
    value = _ipv4(tok)
    if value is None:
        return None
    bits = int(ipaddress.IPv4Address(value))
    inverted = bits ^ 0xFFFFFFFF
    contiguous = (bits | (bits - 1)) & 0xFFFFFFFF == 0xFFFFFFFF if bits else True
    if contiguous or (inverted | (inverted - 1)) & 0xFFFFFFFF == 0xFFFFFFFF:
        return value
    return None


def _mac(tok: str) -> str | None:
    """H.H.H: three groups of hex digits; IOS renders them zero-padded and upper case (CME)."""
    m = re.fullmatch(r"([0-9a-fA-F]{1,4})\.([0-9a-fA-F]{1,4})\.([0-9a-fA-F]{1,4})", tok)
    if not m:
        return None
    return ".".join(g.zfill(4).upper() for g in m.groups())


def _hex(tok: str) -> str | None:
    return tok.upper() if re.fullmatch(r"[0-9a-fA-F]+", tok) else None


def _word(tok: str) -> str | None:
    return tok if tok and "?" not in tok else None


# re.ASCII: without it IGNORECASE folds `ſ` (U+017F) to `s` and `K` (U+212A) to `k`.
_URL = re.compile(r"(https?|tftp|ftp|scp)://[^\s]+", re.IGNORECASE | re.ASCII)
_FILE_SYSTEM_PATH = re.compile(r"(flash[0-9]?|nvram|system|slot[0-9]):[^\s]*",
                               re.IGNORECASE | re.ASCII)


def _url(tok: str) -> str | None:
    if _URL.fullmatch(tok) or _FILE_SYSTEM_PATH.fullmatch(tok):
        return tok
    return None


def _flash_file(tok: str) -> str | None:
    return tok if _FILE_SYSTEM_PATH.fullmatch(tok) else None


def _time_hhmm(tok: str) -> str | None:
    m = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", tok)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        return None
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _time_hhmmss(tok: str) -> str | None:
    m = re.fullmatch(r"([0-9]{1,2}):([0-9]{2}):([0-9]{2})", tok)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3)) > 59:
        return None
    return f"{int(m.group(1)):02d}:{m.group(2)}:{m.group(3)}"


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def _month(tok: str) -> int | None:
    if not tok.isascii():  # `str.lower()` maps some non-ASCII letters onto ASCII ones
        return None
    for i, name in enumerate(MONTHS):
        if len(tok) >= 3 and name.lower().startswith(tok.lower()):
            return i + 1
    return None


def _weekday(tok: str) -> str | None:
    if not tok.isascii():
        return None
    for name in DAYS:
        if len(tok) >= 3 and name.lower().startswith(tok.lower()):
            return name[:3]
    return None


# The widest interface number is a Loopback's or Tunnel's 2147483647: ten digits.
_INTERFACE_NUMBER_DIGITS = 10
_DIGIT_RUN = re.compile(r"[0-9]+")


def _interface(tok: str) -> str | None:
    """An interface name, refused when it is not ASCII or a number in it is wider than any.

    The width bound keeps the chassis from converting an arbitrarily long number.
    """
    if not tok.isascii():
        return None
    if any(len(run) > _INTERFACE_NUMBER_DIGITS for run in _DIGIT_RUN.findall(tok)):
        return None
    return canonical_interface_name(tok)


def _dial_pattern(tok: str) -> str | None:
    if re.fullmatch(r"[0-9.*#+TX\[\]\-^$%?,]+", tok, re.IGNORECASE | re.ASCII):
        return tok
    return None


def _button(tok: str) -> str | None:
    return tok if re.fullmatch(r"[0-9]{1,2}[:sbfomwx][0-9]{1,5}(,[0-9]{1,5})*", tok) else None


def _port_slot(tok: str) -> str | None:
    return tok if re.fullmatch(r"[0-9]+/[0-9]+(/[0-9]+)?(:[0-9]+)?", tok) else None


def _digits(tok: str) -> str | None:
    return tok if _ASCII_DIGITS.fullmatch(tok) else None


INT_MIN, INT_MAX = -2147483648, 2147483647


def _signed_int(tok: str) -> int | None:
    """INT: a signed 32-bit number, the range its `?` label shows."""
    m = _SIGNED.fullmatch(tok)
    if not m:
        return None
    magnitude = ascii_number(m.group(1), 0, -INT_MIN)
    if magnitude is None:
        return None
    value = -magnitude if tok.startswith("-") else magnitude
    return value if INT_MIN <= value <= INT_MAX else None


def number_range(lo: int, hi: int) -> ArgType:
    """`<lo-hi>`: a decimal number inside the range, as IOS checks it while parsing."""

    def parse(tok: str) -> int | None:
        return ascii_number(tok, lo, hi)

    return ArgType(f"<{lo}-{hi}>", "", parse)


def digit_string(lo: int, hi: int) -> ArgType:
    """A string of lo..hi decimal digits (CAPF auth strings): a phone keypad types only 0-9."""
    pattern = re.compile(rf"[0-9]{{{lo},{hi}}}")

    def parse(tok: str) -> str | None:
        return tok if pattern.fullmatch(tok) else None

    return ArgType("WORD", "", parse)


BASIC_TYPES: dict[str, ArgType] = {
    "WORD": ArgType("WORD", "", _word),
    "LINE": ArgType("LINE", "", lambda s: s or None, rest_of_line=True),
    "A.B.C.D": ArgType("A.B.C.D", "", _ipv4),
    "MASK": ArgType("A.B.C.D", "", _mask),
    "H.H.H": ArgType("H.H.H", "", _mac),
    "HEX": ArgType("WORD", "", _hex),
    "URL": ArgType("WORD", "", _url),
    "FLASHFILE": ArgType("WORD", "", _flash_file),
    "HH:MM": ArgType("hh:mm", "", _time_hhmm),
    "HH:MM:SS": ArgType("hh:mm:ss", "", _time_hhmmss),
    "MONTH": ArgType("MONTH", "Month of the year", _month),
    "WEEKDAY": ArgType("WORD", "", _weekday),
    "INTERFACE": ArgType("INTERFACE", "", _interface, two_tokens=True,
                         completes=interface_type_names()),
    "PATTERN": ArgType("WORD", "", _dial_pattern),
    "BUTTON": ArgType("LINE", "", _button),
    "PORT": ArgType("PORT", "", _port_slot),
    "DIGITS": ArgType("WORD", "", _digits),
    "INT": ArgType("<-2147483648-2147483647>", "", _signed_int),
}


def resolve_type(spec: str) -> ArgType | None:
    """Turn a syntax token such as `A.B.C.D`, `<1-450>` or `DIGITS(4,10)` into its ArgType."""
    if spec in BASIC_TYPES:
        return BASIC_TYPES[spec]
    m = re.fullmatch(r"<([0-9]+)-([0-9]+)>", spec)
    if m:
        return number_range(int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"DIGITS\(([0-9]+),([0-9]+)\)", spec)
    if m:
        return digit_string(int(m.group(1)), int(m.group(2)))
    return None
