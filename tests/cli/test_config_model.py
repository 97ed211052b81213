"""The typed configuration model and the command declarations that write it agree.

Each block's typed settings are set by typing their lines; every attribute then holds its typed
value, and running-config prints the lines back exactly. A declaration naming an attribute the
model lacks, or a handler asking for a slot its syntax does not declare, is caught.
"""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from cucme_lab.router.config.model import typed_fields
from cucme_lab.router.telephony import settings as tm
from cucme_lab.shell.commands.common import CommandDeclarations, DeclarationError
from cucme_lab.shell.grammar import Command
from cucme_lab.shell.session import Args, UndeclaredArgument

TELEPHONY = """\
telephony-service
 secure-signaling trustpoint CUCME_TLS
 max-ephones 24
 max-dn 96
 ip source-address 1.2.3.4 port 2443 strict-match
 no auto-reg-ephone
 auto assign 1 to 4
 keepalive 45
 service phone settingsAccess 0
 service phone webAccess 1
 cnf-file location flash:
 cnf-file perphone
 dialplan-pattern 1 5555.... extension-length 4
 tftp-server-credentials trustpoint CUCME_TFTP
 server-security-mode secure
 device-security-mode encrypted
 load-cfg-file flash:Dial.xml alias Dial.xml sign
 after-hours block pattern 1 91900 7-24
 after-hours day Sun 00:00 23:59
 after-hours date Jan 1 00:00 23:59
 after-hours override-code 1234
 create cnf-files version-stamp Jan 01 2002 00:00:00
"""

DNS_AND_PHONE = """\
ephone-dn  1  dual-line
 number 7001 secondary 7101
 name Alice
 call-forward busy 7002
 call-forward noan 7002 timeout 10
 call-forward all 7003
 cor incoming internal
 cor outgoing local
!
ephone-dn  2
 number 7002
!
ephone-template  1
 service phone garp 0
!
ephone  1
 capf-ip-in-cnf
 device-security-mode authenticated
 capf-auth-str 1234
 cert-oper upgrade auth-mode auth-string
 mac-address CAFE.CAFE.1234
 ephone-template 1
 codec g729r8 dspfarm-assist
 type 7970
 mtp
 after-hour exempt
 button  1:1 2:2
"""


def block_text(running: str, header: str) -> str:
    lines = running.splitlines()
    start = lines.index(header)
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    return "\n".join(lines[start:end]) + "\n"


async def test_every_telephony_service_setting_is_typed_and_prints_back(shell, router):
    await shell.paste_config(TELEPHONY)
    ts = tm.telephony_service(router.config)
    assert ts is not None
    assert block_text(router.running_config(), "telephony-service") == TELEPHONY
    assert ts.source == tm.SourceAddress(IPv4Address("1.2.3.4"), 2443, True)
    assert (ts.max_ephones, ts.max_dn, ts.keepalive_interval) == (24, 96, 45)
    assert ts.auto_reg_ephone is False and ts.auto_assign == (1, 4)
    assert ts.device_security_mode is tm.SecurityMode.ENCRYPTED
    assert ts.load_cfg_files == [tm.LoadCfgFile("flash:Dial.xml", "Dial.xml", True)]
    assert ts.dialplan_patterns == {1: tm.DialplanPattern("5555....", 4)}
    assert ts.after_hours_patterns == {1: tm.AfterHoursPattern("91900", True)}
    assert ts.after_hours_days == {"Sun": tm.AfterHoursDay("00:00", "23:59")}
    assert ts.service_phone == {"settingsAccess": "0", "webAccess": "1"}
    unset = [name for name, _ in typed_fields(tm.TelephonyService).items()
             if getattr(ts, name) in (None, {}, [])]
    assert unset == [], "each typed setting is written by a declaration"


async def test_every_ephone_and_dn_setting_is_typed_and_prints_back(shell, router):
    await shell.paste_config(DNS_AND_PHONE)
    running = router.running_config()
    for header in ("ephone-dn  1  dual-line", "ephone-template  1", "ephone  1"):
        expected = DNS_AND_PHONE.split(header + "\n")[1].split("!")[0]
        assert block_text(running, header) == header + "\n" + expected
    ep, dn = tm.ephone(router.config, 1), tm.ephone_dn(router.config, 1)
    assert ep is not None and dn is not None
    assert ep.cert_oper == tm.CertOper("upgrade", "auth-string") and ep.device_name == \
        "SEPCAFECAFE1234"
    assert (ep.codec, ep.dspfarm_assist, ep.mtp, ep.template) == ("g729r8", True, True, 1)
    assert [str(b) for b in ep.buttons] == ["1:1", "2:2"]
    assert (dn.number, dn.secondary, dn.name, dn.dual_line) == ("7001", "7101", "Alice", True)
    assert (dn.cor_incoming, dn.cor_outgoing) == ("internal", "local")
    for block in (ep, dn):
        unset = [name for name in typed_fields(type(block)) if getattr(block, name) is None]
        assert unset == [], "each typed setting is written by a declaration"
    await shell.type("conf t", "ephone-dn 1", "no cor", "no name", "ephone 1", "no codec",
                     "no mtp", "no button")
    assert (dn.cor_incoming, dn.cor_outgoing, dn.name) == (None, None, None)
    assert (ep.codec_setting, ep.mtp, ep.buttons) == (None, False, [])


def test_a_declaration_naming_no_model_attribute_fails_when_declared():
    with pytest.raises(DeclarationError, match="corlist"):
        CommandDeclarations().typed_setting("config-ephone-dn", tm.EphoneDn,
                                            "cor incoming WORD:list", "corlist")


def test_a_declaration_whose_slots_do_not_say_the_value_fails_when_declared():
    with pytest.raises(DeclarationError, match="slots"):
        CommandDeclarations().typed_setting("config-ephone-dn", tm.EphoneDn,
                                            "cor {incoming|outgoing}:dir WORD:list",
                                            "cor_incoming")


def test_a_handler_asking_for_a_renamed_slot_is_an_error_not_none():
    renamed = Command("config-ephone-dn", "cor {incoming|outgoing}:dir WORD:corlist",
                      lambda c: None)
    args = Args({"cor": True, "dir": "incoming", "corlist": "internal"}, renamed.own_names())
    assert args["corlist"] == "internal" and args.get("dir") == "incoming"
    with pytest.raises(UndeclaredArgument, match="'list'"):
        args.get("list")


async def test_ephone_tags_and_the_registration_limit_come_from_one_place(shell, router):
    out = await shell.type("conf t", "telephony-service", "ip source-address 1.2.3.4",
                           f"ephone {tm.MAX_EPHONES}", f"ephone {tm.MAX_EPHONES + 1}")
    assert out.count("% Invalid input") == 1
    ts = tm.telephony_service(router.config)
    assert router.phones.limit(ts) == tm.MAX_EPHONES
