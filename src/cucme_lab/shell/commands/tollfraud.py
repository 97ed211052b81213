"""Commands of the toll-fraud controls that the telephony module did not have: `after-hours
date` and `after-hours override-code` in telephony-service, `after-hour exempt` on an ephone,
and `call-forward` on an ephone-dn. Each writes a typed attribute the router's call control
reads (tollplan.py).
"""

from __future__ import annotations

import calendar

from cucme_lab.router.telephony.settings import (
    AfterHoursDate,
    CallForward,
    Ephone,
    EphoneDn,
    TelephonyService,
)
from cucme_lab.shell.argtypes import MONTHS
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.commands.telephony import caret
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command, typed_setting = DECLARED.command, DECLARED.typed_setting

TS = "config-telephony"
HELP = {
    "after-hours": "Define after-hours patterns, date, etc",
    "date": "Define after-hours date",
    "month": "Month of the year",
    "day": "Day of the month",
    "start": "Start time", "end": "End time",
    "override-code": "Define after-hours override code",
    "code": "Override code digits",
    "call-forward": "Define E.164 telephone number for call forwarding",
    "all": "call forward all calls",
    "busy": "call forward when busy",
    "noan": "call forward when no answer",
    "number": "E.164 telephone number to forward to",
    "timeout": "Set timeout for call-forward no answer",
    "seconds": "Ringing no answer timeout duration in seconds",
    "after-hour": "Exempt this phone from after-hours call blocking",
    "exempt": "Exempt from after-hours call blocking",
}


@command(TS, "after-hours date MONTH:month <1-31>:day HH:MM:start HH:MM:end",
         no="after-hours date MONTH:month <1-31>:day [HH:MM:start HH:MM:end]", help=HELP)
def after_hours_date(c: Ctx) -> None:
    """A date IOS would refuse (30 February) gets the caret under the day."""
    month, day = c.args["month"], c.args["day"]
    name = MONTHS[month - 1][:3]
    dates = dict(c.target.after_hours_dates)
    if c.no or c.default:
        dates.pop((name, day), None)
    else:
        if day > calendar.monthrange(2024, month)[1]:  # a leap year: 29 February is a date
            caret(c, 3)
            return
        dates[(name, day)] = AfterHoursDate(name, day, c.args["start"], c.args["end"])
    c.target.after_hours_dates = dates


typed_setting(TS, TelephonyService, "after-hours override-code DIGITS(1,16):code",
              "after_hours_override", help=HELP)

typed_setting("config-ephone", Ephone, "after-hour exempt", "after_hour_exempt",
              lambda a: True, help=HELP)

DN = "config-ephone-dn"
typed_setting(DN, EphoneDn, "call-forward all PATTERN:number", "forward_all",
              lambda a: CallForward(a["number"]), help=HELP)
typed_setting(DN, EphoneDn, "call-forward busy PATTERN:number", "forward_busy",
              lambda a: CallForward(a["number"]), help=HELP)
typed_setting(DN, EphoneDn, "call-forward noan PATTERN:number [timeout <3-60000>:seconds]",
              "forward_noan", lambda a: CallForward(a["number"], a.get("seconds")), help=HELP)
