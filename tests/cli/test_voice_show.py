"""`show dial-peer voice summary` and `show voice port summary` in IOS's layout: rows checked
byte for byte against published captures (Cisco's command reference: `8880   pots  up   up
8880 ... up   2/0/0`; a CME capture: `20001  pots  up   up  1001$ ... 50/0/1`)."""

from __future__ import annotations

# Cisco IOS Voice Command Reference, show dial-peer voice summary (port 2/0/0 there: this
# chassis' ports are slot/port)
REFERENCE_POTS = ("8880   pots  up   up             8880               0                      "
                  "up   1/0")
CME_EPHONE_DN = ("20001  pots  up   up             1001$              0                        "
                 "   50/0/1")
HEAD = ("dial-peer hunt 0\n"
        "             AD                                    PRE PASS                OUT\n"
        "TAG    TYPE  MIN  OPER PREFIX    DEST-PATTERN      FER THRU SESS-TARGET    STAT PORT"
        "    KEEPALIVE\n")


async def test_dial_peer_summary_rows_match_the_captures(shell):
    out = await shell.type("conf t", "dial-peer voice 8880 pots", "destination-pattern 8880",
                           "port 1/0", "ephone-dn 1", "number 1001", "end",
                           "show dial-peer voice summary")
    assert HEAD + REFERENCE_POTS + "\n" + CME_EPHONE_DN + "\n" in out


async def test_a_peer_on_a_shut_voice_port_is_out_of_service(shell):
    out = await shell.type("conf t", "dial-peer voice 9 pots", "destination-pattern 9T",
                           "port 2/0", "prefix 1", "voice-port 2/0", "shutdown", "end",
                           "show dial-peer voice summary", "show voice port summary",
                           "show dial-peer voice 9")
    assert "9      pots  up   up   1         9T                 0                      down 2/0\n" \
        in out
    assert "2/0             --  fxo-ls      down  down idle     on-hook  y\n" in out
    assert "        outgoing COR list:minimum\n" in out and "voice-port = `2/0'" in out


async def test_voice_ports_the_chassis_lacks_and_dates_ios_refuses_get_the_caret(shell):
    out = await shell.type("conf t", "voice-port 3/0", "telephony-service",
                           "after-hours date Feb 30 00:00 23:59", "after-hours date Feb 29 "
                           "00:00 23:59", "end", "show running-config | include after-hours")
    assert out.count("% Invalid input detected at '^' marker.") == 2
    assert " after-hours date Feb 29 00:00 23:59" in out


PEER_BLOCK = """\
dial-peer voice 9 pots
 corlist incoming callld
 corlist outgoing callld
 preference 2
 destination-pattern 91.....
 port 1/0
 no digit-strip
 forward-digits 7
 prefix 1
 max-conn 2
"""


async def test_every_dial_peer_and_accounting_setting_is_typed_and_prints_back(shell, router):
    from cucme_lab.router.config.model import typed_fields
    from cucme_lab.router.telephony.voice_config import DialPeer, VoicePort, dial_peers

    await shell.paste_config("dial-peer cor custom\n name ld-call\n"
                             "dial-peer cor list callld\n member ld-call\n" + PEER_BLOCK
                             + "voice-port 1/0\n description to the exchange\n shutdown\n"
                             "dial-control-mib retain-timer 10080\ndial-control-mib max-size 500\n"
                             "gw-accounting syslog\n")
    running = router.running_config()
    assert PEER_BLOCK in running
    assert "voice-port 1/0\n description to the exchange\n shutdown\n" in running
    assert "dial-control-mib retain-timer 10080\ndial-control-mib max-size 500\n" in running
    [peer] = dial_peers(router.config)
    unset = [name for name in typed_fields(DialPeer) if getattr(peer, name) in (None, True)]
    assert unset == [], "each typed setting is written by a declaration"
    port = router.config.find("voice-port", ("1/0",))
    assert isinstance(port, VoicePort) and port.shutdown and port.description
    config = router.config
    assert (config.history_retain_minutes, config.history_max_size, config.gw_accounting) == \
        (10080, 500, ("syslog",))
    await shell.type("conf t", "dial-peer voice 9 pots", "no preference", "digit-strip",
                     "no corlist incoming", "no max-conn", "voice-port 1/0", "no shutdown",
                     "no dial-control-mib max-size", "no gw-accounting syslog", "end")
    assert (peer.preference, peer.digit_strip, peer.corlist_incoming, peer.max_conn) == \
        (None, True, None, None)
    assert not port.shutdown
    assert (config.history_max_size, config.gw_accounting) == (50, ())
    assert "gw-accounting" not in router.running_config()


async def test_the_toll_fraud_configuration_survives_a_reload(shell, router, tmp_path):
    from cucme_lab.lab.addresses import AddressPlan
    from cucme_lab.router.router import Router
    from cucme_lab.shell.boot import apply_config
    from cucme_lab.shell.commands import command_set

    from .test_telephony_cmds import rejected
    from .test_voice_cmds import doc_block

    await shell.paste_config(doc_block("dial-peer cor custom", "cor incoming superuser", 1))
    await shell.paste_config(
        "voice-port 2/0\n description international\ndial-control-mib retain-timer 10080\n"
        "gw-accounting syslog\ntelephony-service\n after-hours block pattern 1 .1900\n"
        " after-hours day Mon 19:00 07:00\n after-hours date Dec 25 00:00 23:59\n"
        "ephone 1\n after-hour exempt\nephone-dn 2\n call-forward busy 2000\n"
        " call-forward noan 9011441234 timeout 5\n" + PEER_BLOCK.replace("voice 9", "voice 8"))
    text = router.startup_config_text()
    other = Router.open(tmp_path / "other", addresses=AddressPlan())
    out = await apply_config(other, text, command_set())
    assert rejected(out) == []
    assert other.running_config(header=False) == router.running_config(header=False)
    assert "call-forward noan 9011441234 timeout 5" in other.running_config()
