"""A control request from the page checked and turned into a lab control line (`:dial ...`).

The page's buttons do what the console's `:` controls do, through the same code
(`lab/controls.run_control`); this module only says which requests are well formed, and why
the others are not, as an HTTP status with a reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from cucme_lab.lab.runtime import LabRuntime
from cucme_lab.phones.phone import Phone

MAX_BODY = 4096
DIGITS = re.compile(r"[0-9*#]{1,32}")
# page action -> (lab control verb, does it take digits)
ACTIONS = {"power-cycle": ("power-cycle", False), "dial": ("dial", True),
           "answer": ("answer", False), "hangup": ("hangup", False), "key": ("key", True)}


@dataclass
class Refused(Exception):
    """Why a request is refused, as the HTTP status and reason the page shows."""

    status: int
    reason: str


def find_phone(runtime: LabRuntime, ident: str) -> Phone:
    """A lab phone by device name (SEP...) or MAC in any notation; 404 otherwise."""
    mac = ident.upper().removeprefix("SEP").replace(".", "").replace(":", "").replace("-", "")
    phone = runtime.fleet.phones.get(mac)
    if phone is None:
        raise Refused(404, f"no such phone: {ident[:40]}")
    return phone


def parse_body(body: bytes) -> dict:
    if len(body) > MAX_BODY:
        raise Refused(413, f"body larger than {MAX_BODY} bytes")
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(400, f"malformed body: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise Refused(400, "malformed body: a JSON object is expected")
    return data


def control_line(runtime: LabRuntime, ident: str, action: str, body: bytes) -> str:
    """The lab control line for this request, or `Refused`."""
    if action not in ACTIONS:
        raise Refused(404, f"no such control: {action[:40]} (one of {', '.join(ACTIONS)})")
    phone = find_phone(runtime, ident)
    data = parse_body(body)
    verb, takes_digits = ACTIONS[action]
    if not takes_digits:
        return f"{verb} {phone.mac}"
    digits = data.get("digits")
    if not isinstance(digits, str) or not DIGITS.fullmatch(digits):
        raise Refused(400, "malformed body: \"digits\" must be 1 to 32 of 0-9, * and #")
    return f"{verb} {phone.mac} {digits}"
