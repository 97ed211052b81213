"""`show telephony-service`, `debug credentials` and `show ephone summary` as the CME command
reference and real captures print them."""

from __future__ import annotations

TELEPHONY = """\
telephony-service
 ip source-address 1.2.3.4 port 2000
 max-ephones 4
 max-dn 8
 cnf-file perphone
"""


async def test_show_telephony_service_prints_cmes_config_header(shell):
    await shell.paste_config(TELEPHONY)
    out = await shell.type("show telephony-service")
    assert out.splitlines()[1:8] == [
        "CONFIG (Version=7.1)",
        "=====================",
        "Version 7.1",
        "Cisco Unified Communications Manager Express",
        "For on-line documentation please see:",
        "www.cisco.com/en/US/products/sw/voicesw/ps4625/tsd_products_support_series_home.html",
        "ip source-address 1.2.3.4 port 2000",
    ]
    for line in ("max-ephones 4", "max-dn 8", "cnf-file location: system:",
                 "cnf-file option: PER-PHONE", "keepalive 30 auxiliary 30"):
        assert f"\n{line}\n" in out
    # abbreviated as a trainee types it
    assert (await shell.type("sh telephony-s")).splitlines()[1:] == out.splitlines()[1:]


async def test_show_telephony_service_without_cme_prints_nothing(shell):
    assert (await shell.type("show telephony-service")).splitlines()[1:] == ["Router#"]


async def test_debug_credentials_says_it_is_enabled_and_disabled(shell):
    out = await shell.type("debug credentials", "undebug credentials", "debug cred",
                           "no debug credentials")
    assert out.count("Credentials server debugging is enabled") == 2
    assert out.count("Credentials server debugging is disabled") == 2


async def test_show_ephone_summary_carries_no_invented_sccp_token(shell):
    await shell.paste_config(TELEPHONY + "ephone 1\n mac-address 0011.2233.4455\n")
    out = await shell.type("show ephone summary")
    assert "IP:0.0.0.0 * Unknown  keepalive 0   music 0" in out
    assert "* SCCP" not in out
