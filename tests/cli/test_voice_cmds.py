"""voice service voip / h323, dial-peer COR and voice dial-peers: the COR and H.323 examples of
the Cisco CME security chapter pasted verbatim, the lines refused, and the running-config."""

from __future__ import annotations

from pathlib import Path

from .test_telephony_cmds import blocks, caret_under, rejected

# The Cisco chapter's fenced blocks, verbatim (tests/data/README.md)
CISCO_DOC = Path(__file__).resolve().parents[1] / "data" / "documents" / "cisco_chapter_blocks.txt"


def doc_block(start: str, end: str, nth: int) -> str:
    """Lines of the Cisco chapter from the `nth` line reading `start` to the next `end` line,
    with the markdown fences dropped (the pasted text is otherwise verbatim)."""
    lines = CISCO_DOC.read_text().splitlines()
    first = [i for i, line in enumerate(lines) if line.strip() == start][nth]
    last = next(k for k in range(first, len(lines)) if lines[k].strip() == end)
    return "\n".join(line for line in lines[first:last + 1] if not line.startswith("```"))


COR_CUSTOM = ("dial-peer cor custom\n name 911\n name 1800\n name local-call\n name ld-call\n"
              " name 411\n name int-call\n name 1900\n")
COR_LISTS = (
    "dial-peer cor list call911\n member 911\n"
    "dial-peer cor list call1800\n member 1800\n"
    "dial-peer cor list calllocal\n member local-call\n"
    "dial-peer cor list callint\n member int-call\n"
    "dial-peer cor list callld\n member ld-call\n"
    "dial-peer cor list call411\n member 411\n"
    "dial-peer cor list call1900\n member 1900\n"
    "dial-peer cor list user\n member 911\n member 1800\n member local-call\n member ld-call\n"
    "dial-peer cor list superuser\n member 911\n member 1800\n member local-call\n"
    " member ld-call\n member 411\n member int-call\n member 1900\n")


def dial_peers(pattern_911: str) -> str:
    peers = ((9, "callld", "91.....", "1/0", "1"), (911, "call911", pattern_911, "1/0", "911"),
             (11, "callint", "9011T", "2/0", "011"), (732, "calllocal", "9732.....", "1/0", "732"),
             (800, "call1800", "91800.....", "1/0", "1800"),
             (802, "call1800", "91877.....", "1/0", "1877"),
             (805, "call1800", "91888.....", "1/0", "1888"),
             (411, "call411", "9411", "1/0", "411"),
             (806, "call1800", "91866.....", "1/0", "1866"))
    return "".join(f"dial-peer voice {tag} pots\n corlist outgoing {cor}\n"
                   f" destination-pattern {pat}\n port {port}\n prefix {prefix}\n"
                   for tag, cor, pat, port, prefix in peers)


async def test_cisco_cor_example_first_rendition(shell, router):
    text = doc_block("dial-peer cor custom", "cor incoming superuser", 0)
    assert "ephone-dv 2" in text
    out = await shell.paste_config(text)
    # The document's typo `ephone-dv 2` is refused with the caret where `ephone-d` stops
    # matching; as on IOS the mode stays ephone-dn 1, so its next two lines land on dn 1.
    assert rejected(out) == [("ephone-dv 2", "% Invalid input detected at '^' marker.")]
    # the caret comes from global config, the mode whose parse got furthest (`ephone-d`)
    assert caret_under(out, "ephone-dv 2") == "v 2"
    assert blocks(router, "dial-peer cor custom") == COR_CUSTOM
    assert blocks(router, "dial-peer cor list") == COR_LISTS
    # dial-peers stay in the order they were created, as IOS lists them
    assert blocks(router, "dial-peer voice") == dial_peers("911")
    assert blocks(router, "ephone-dn") == (
        "ephone-dn  1\n number 2001\n cor incoming superuser\n")
    text = router.running_config(header=False)
    assert text.index("control-plane") < text.index("dial-peer cor custom") < text.index(
        "dial-peer cor list call911") < text.index("dial-peer voice 9 pots") < text.index(
        "ephone-dn  1")


async def test_cisco_cor_example_second_rendition(shell, router):
    text = doc_block("dial-peer cor custom", "cor incoming superuser", 1)
    assert "Ephone-dn 2" in text
    out = await shell.paste_config(text)
    assert rejected(out) == []  # keywords are case-insensitive: `Ephone-dn 2` is accepted
    assert blocks(router, "dial-peer cor") == COR_CUSTOM + COR_LISTS
    assert blocks(router, "dial-peer voice") == dial_peers("9911")
    assert blocks(router, "ephone-dn") == (
        "ephone-dn  1\n number 2000\n cor incoming user\n"
        "ephone-dn  2\n number 2001\n cor incoming superuser\n")


CISCO_H323 = """\
voice service voip
 h323
 session transport tcp calls-per-connection 1
 h245 tunnel disable
 h245 caps mode restricted
 h225 timeout tcp call-idle value 0
"""


async def test_cisco_h323_version_2_settings(shell, router):
    out = await shell.paste_config(CISCO_H323)
    assert rejected(out) == []
    assert "Router(conf-serv-h323)# h245 tunnel disable" in out
    assert blocks(router, "voice service voip") == (
        "voice service voip\n h323\n  session transport tcp calls-per-connection 1\n"
        "  h245 tunnel disable\n  h245 caps mode restricted\n"
        "  h225 timeout tcp call-idle value 0\n")


SRTP = """\
voice service voip
 supplementary-service media-renegotiate
 srtp fallback
 allow-connections h323 to h323
 h323
  emptycapability
dial-peer voice 100 voip
 srtp fallback
 session target ipv4:10.1.1.2
 destination-pattern 2...
"""


async def test_srtp_settings_and_nesting(shell, router):
    out = await shell.paste_config(SRTP)
    assert rejected(out) == []
    assert blocks(router, "voice service voip") == (
        "voice service voip\n allow-connections h323 to h323\n srtp fallback\n"
        " supplementary-service media-renegotiate\n h323\n  emptycapability\n")
    assert blocks(router, "dial-peer voice") == (
        "dial-peer voice 100 voip\n destination-pattern 2...\n"
        " session target ipv4:10.1.1.2\n srtp fallback\n")
    text = router.running_config(header=False)
    assert "voice service voip\n allow-connections" in text
    assert text.index("voice service voip") < text.index("interface FastEthernet0/0")


async def test_cor_member_must_be_a_custom_name(shell, router):
    out = await shell.type("conf t", "dial-peer cor custom", "name 911", "dial-peer cor list x",
                           "member 912", "member 911", "no member 911", "member ?", "911")
    assert rejected(out) == [
        ("member 912", "% COR name 912 is not defined under dial-peer cor custom.")]
    assert "  WORD  COR name\n" in out
    assert blocks(router, "dial-peer cor list") == "dial-peer cor list x\n member 911\n"


async def test_dial_peer_type_specific_commands(shell, router):
    out = await shell.type(
        "conf t", "dial-peer voice 5 voip", " port 1/0", " prefix 9", " forward-digits all",
        " session target ipv4:1.1.1.1", " description To the PSTN gateway", " max-conn 4",
        " srtp", "dial-peer voice 5 pots", "dial-peer voice 6 pots", " srtp fallback",
        " session target ras", " forward-digits 4", " port 1/0/0", " port 2/1", " port 1",
        " dest 9T", " no dest", " desc  Trunk  one", "dial-peer voice 0 pots",
        "dial-peer voice 7 mmoip")
    assert [(line, msg[:7]) for line, msg in rejected(out)] == [
        ("port 1/0", "% Inval"), ("prefix 9", "% Inval"), ("forward-digits all", "% Inval"),
        ("dial-peer voice 5 pots", "% Dial-"), ("srtp fallback", "% Inval"),
        ("session target ras", "% Inval"), ("port 1/0/0", "% Inval"), ("port 1", "% Inval"),
        ("dial-peer voice 0 pots", "% Inval"), ("dial-peer voice 7 mmoip", "% Inval")]
    assert caret_under(out, " port 1/0") == "port 1/0"
    # the chassis has voice ports 1/0, 1/1, 2/0 and 2/1 only: 1/0/0 is no port of it
    assert caret_under(out, " port 1/0/0") == "1/0/0"
    assert blocks(router, "dial-peer voice") == (
        "dial-peer voice 5 voip\n description To the PSTN gateway\n"
        " session target ipv4:1.1.1.1\n max-conn 4\n srtp\n"
        "dial-peer voice 6 pots\n description Trunk  one\n port 2/1\n forward-digits 4\n")
    await shell.type("conf t", "no dial-peer voice 5", "dial-peer voice 6 pots", "no port",
                     "default description", "no forward-digits")
    assert blocks(router, "dial-peer voice") == "dial-peer voice 6 pots\n"


async def test_no_forms_and_abbreviations_in_voice_service(shell, router):
    # `voi` alone is ambiguous on a router with voice ports (`voice`, `voice-port`), as on IOS
    out = await shell.type("conf t", "voi serv voip")
    assert rejected(out) == [("voi serv voip", '% Ambiguous command:  "voi serv voip"')]
    out = await shell.type("conf t", "voice serv voip", "srtp", "no srtp", "supp media",
                           "allow h323 to sip", "allow sip to sip", "no allow sip to sip",
                           "h3", "sess trans udp", "h225 time tcp call-idle never",
                           "h225 time tcp est 10", "h245 caps mode all", "no h245 caps mode",
                           "empty", "no empty", "exit", "exit", "dial-peer cor cust", "na a",
                           "na b", "no na a")
    assert rejected(out) == []
    assert "Router(conf-voi-serv)#exit\nRouter(config)#dial-peer cor cust\n" in out
    assert blocks(router, "voice service voip") == (
        "voice service voip\n allow-connections h323 to sip\n"
        " supplementary-service media-renegotiate\n h323\n  session transport udp\n"
        "  h225 timeout tcp call-idle never\n  h225 timeout tcp establish 10\n")
    assert blocks(router, "dial-peer cor custom") == "dial-peer cor custom\n name b\n"
    await shell.type("conf t", "voice service voip", "no h323")
    assert blocks(router, "voice service voip") == (
        "voice service voip\n allow-connections h323 to sip\n"
        " supplementary-service media-renegotiate\n")
    await shell.type("conf t", "no voice service voip", "no dial-peer cor custom")
    assert "voice service" not in router.running_config()
    assert "dial-peer" not in router.running_config()


async def test_question_mark_help_in_voice_modes(shell):
    out = await shell.type("conf t", "voice service voip", "?", "", "h323", "h245 ?",
                           "tunnel disable", "exit", "exit", "dial-peer voice 1 ?", "pots",
                           "corlist ?", "")
    assert "Voice service configuration commands:\n  allow-connections " in out
    assert "  h323                   Enable H.323 and enter H.323 configuration mode\n" in out
    assert "  caps    H.245 capabilities\n  tunnel  H.245 tunneling\n" in out
    assert "  pots  POTS peer\n  voip  VoIP peer\n" in out
    assert "  incoming  Incoming COR list\n  outgoing  Outgoing COR list\n" in out
