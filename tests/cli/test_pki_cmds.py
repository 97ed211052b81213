"""PKI configuration lines of the NSA guide and the Cisco CME chapter: what IOS accepts,
refuses, and how `show running-config` prints it; RSA keys, chains and PKI show commands."""

from __future__ import annotations

import datetime as dt
import re

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cucme_lab.router.pki.config import hex_lines
from cucme_lab.router.pki.keystore import KeyStore, keystore_of, load_pem, save_pem
from cucme_lab.shell.commands import command_set
from cucme_lab.shell.commands.pki import certificate_chain

INVALID = "% Invalid input detected at '^' marker."


def rejected(out: str) -> list[str]:
    """The typed lines (prompt included) that got the caret error, each checked to have its
    caret under a character of the line's text."""
    lines = out.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line == INVALID:
            typed, caret = lines[i - 2], lines[i - 1]
            assert caret.strip() == "^"
            assert caret.index("^") < len(typed)
            found.append(typed)
    return found


def section(running: str, first: str) -> str:
    """The running-config text from the line `first` to the end of the crypto blocks."""
    start = running.index(first + "\n")
    lines = running[start:].splitlines()
    keep = []
    for line in lines:
        if line.startswith("interface ") or line == "end":
            break
        keep.append(line)
    return "\n".join(keep) + "\n"


def self_signed(cn: str = "LABCA", serial: int = 1) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime(2024, 6, 3, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(serial)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


# ------------------------------------------------------------------------------------------
# RSA keys


async def test_key_generation_refusals_and_dialogue(shell, router):
    out = await shell.type("conf t", "crypto key generate rsa", "hostname CME1",
                           "crypto key generate rsa modulus 1024",
                           "ip domain name lab.local",
                           "crypto key generate rsa", "1024")
    assert "Router(config)#crypto key generate rsa\n" \
           "% Please define a hostname other than Router.\n" in out
    assert "CME1(config)#crypto key generate rsa modulus 1024\n" \
           "% Please define a domain-name first.\n" in out
    dialogue = ("CME1(config)#crypto key generate rsa\n"
                "The name for the keys will be: CME1.lab.local\n"
                "Choose the size of the key modulus in the range of 360 to 4096 for your\n"
                "  General Purpose Keys. Choosing a key modulus greater than 512 may take\n"
                "  a few minutes.\n"
                "\n"
                "How many bits in the modulus [512]: 1024\n"
                "% Generating 1024 bit RSA keys, keys will be non-exportable...\n")
    assert dialogue in out
    assert re.search(r"\[OK\] \(elapsed time was \d+ seconds\)\n", out)
    assert "%SSH-5-ENABLED: SSH 1.99 has been enabled" in out
    key = keystore_of(router).get("CME1.lab.local")
    assert key is not None and key.bits == 1024 and key.usage == "general"
    assert not key.exportable


async def test_replacing_keys_asks_first(shell, router):
    await shell.type("conf t", "hostname CME1", "ip domain name lab.local",
                     "crypto key generate rsa modulus 512")
    first = keystore_of(router).get("CME1.lab.local")
    out = await shell.type("conf t", "crypto key generate rsa modulus 512", "no")
    assert ("% You already have RSA keys defined named CME1.lab.local.\n"
            "% Do you really want to replace them? [yes/no]: no\n") in out
    assert keystore_of(router).get("CME1.lab.local") is first
    out = await shell.type("conf t", "crypto key generate rsa general-keys modulus 512", "y")
    assert ("The name for the keys will be: CME1.lab.local\n\n"
            "% The key modulus size is 512 bits\n"
            "% Generating 512 bit RSA keys, keys will be non-exportable...\n") in out
    assert keystore_of(router).get("CME1.lab.local") is not first


async def test_label_options_any_order_and_usage_keys(shell, router):
    out = await shell.type(
        "conf t",
        "crypto key generate rsa modulus 512 exportable label K1",   # label needs no domain
        "crypto key generate rsa usage-keys label K2 modulus 512",
        "crypto key generate rsa usage 1024",                         # Cisco chapter line
        "crypto key generate rsa general-keys label K3", "",          # default answer: 512
    )
    assert rejected(out) == ["Router(config)#crypto key generate rsa usage 1024"]
    store = keystore_of(router)
    assert store.get("K1").exportable and store.get("K1").bits == 512
    assert "keys will be exportable..." in out
    assert [k.usage for k in store.with_label("K2")] == ["signature", "encryption"]
    assert out.count("% Generating 512 bit RSA keys") == 4
    assert store.get("K3").bits == 512
    assert "How many bits in the modulus [512]: \n" in out


async def test_show_mypubkey_layout(shell, router):
    await shell.type("conf t", "crypto key generate rsa label TP-KEY modulus 1024")
    out = await shell.type("show crypto key mypubkey rsa")
    lines = out.splitlines()
    key = keystore_of(router).get("TP-KEY")
    stamp = router.clock.cert_stamp(key.generated)
    assert lines[1:8] == [f"% Key pair was generated at: {stamp}", "Key name: TP-KEY",
                          "Key type: RSA KEYS", " Storage Device: not specified",
                          " Usage: General Purpose Key", " Key is not exportable.",
                          " Key Data:"]
    data = [ln for ln in lines[8:] if ln.startswith("  ")]
    assert data == list(hex_lines(key.public_der()))
    assert all(len(w) == 8 for ln in data[:-1] for w in ln.split()) and len(data[0].split()) == 8
    der = bytes.fromhex("".join(data).replace(" ", ""))
    assert serialization.load_der_public_key(der).public_numbers() == \
        key.private_key.public_key().public_numbers()


async def test_zeroize_one_or_all_with_confirmation(shell, router):
    await shell.type("conf t", "crypto key generate rsa label A modulus 512",
                     "crypto key generate rsa label B modulus 512")
    out = await shell.type("conf t", "crypto key zeroize rsa A", "no",
                           "crypto key zeroize rsa C")
    assert ("% Keys to be removed are named A.\n"
            "% All router certs issued using these keys will also be removed.\n"
            "Do you really want to remove these keys? [yes/no]: no\n") in out
    assert "% RSA keypair C is not present.\n" in out
    assert keystore_of(router).labels() == ["A", "B"]
    await shell.type("conf t", "crypto key zeroize rsa A", "yes")
    assert keystore_of(router).labels() == ["B"]
    out = await shell.type("conf t", "crypto key zeroize rsa", "yes")
    assert "% All keys will be removed.\n" in out
    assert keystore_of(router).labels() == []


def test_keystore_pem_round_trip():
    store = KeyStore()
    store.generate("CME1.lab.local", 1024)
    store.generate("SAST2", 512, exportable=True)
    store.generate("U", 512, usage="signature")
    store.generate("U", 512, usage="encryption")
    text = save_pem(store)
    assert text.count("-----BEGIN PRIVATE KEY-----") == 4
    back = load_pem(text)
    assert [(k.label, k.usage, k.bits, k.exportable) for k in back.keys] == \
        [(k.label, k.usage, k.bits, k.exportable) for k in store.keys]
    assert all(a.private_key.private_numbers() == b.private_key.private_numbers()
               for a, b in zip(store.keys, back.keys, strict=True))
    assert {k.storage for k in back.keys} == {"private-config"}


# ------------------------------------------------------------------------------------------
# The NSA guide


NSA_3_1 = """\
ip http server
!
crypto pki server CAserver
  database level complete
  grant auto
  database url flash:/
!
crypto pki trustpoint CAserver
  enrollment url http://3.3.3.1:80
  revocation-check crl
  rsakeypair CAserver
"""

NSA_3_2 = """\
crypto pki trustpoint CUCME_CAPF_TFTP_SAST1
  enrollment url http://3.3.3.1:80
  revocation-check crl
  rsakeypair CUCME_CAPF_TFTP_SAST1 1024 1024
crypto pki trustpoint SAST2
  enrollment url http://3.3.3.1:80
  revocation-check crl
  rsakeypair SAST2 1024 1024
"""


async def test_nsa_sections_3_1_and_3_2(shell, router):
    out = await shell.paste_config(NSA_3_1 + NSA_3_2)
    assert rejected(out) == []
    assert "%PKI-6-CS_GRANT_AUTO: All enrollment requests will be automatically granted." in out
    assert section(router.running_config(), "crypto pki server CAserver") == """\
crypto pki server CAserver
 database level complete
 grant auto
 database url flash:/
 shutdown
!
crypto pki trustpoint CAserver
 enrollment url http://3.3.3.1:80
 revocation-check crl
 rsakeypair CAserver
!
crypto pki trustpoint CUCME_CAPF_TFTP_SAST1
 enrollment url http://3.3.3.1:80
 revocation-check crl
 rsakeypair CUCME_CAPF_TFTP_SAST1 1024 1024
!
crypto pki trustpoint SAST2
 enrollment url http://3.3.3.1:80
 revocation-check crl
 rsakeypair SAST2 1024 1024
!
!
"""


async def test_nsa_3_1_database_level_minimal_is_not_ios(shell, router):
    # The guide's syntax line offers `minimal`; IOS's keyword is `minimum`.
    out = await shell.type("conf t", "crypto pki server CA", "database level minimal",
                           "database level minimum", "database level n", "database url flash:")
    assert rejected(out) == ["Router(cs-server)#database level minimal"]
    typed = "Router(cs-server)#database level minimal"
    caret = out.splitlines()[out.splitlines().index(typed) + 1]
    assert typed.index("minimal") <= caret.index("^") < len(typed)
    assert section(router.running_config(), "crypto pki server CA") == (
        "crypto pki server CA\n database level names\n database url flash:\n shutdown\n!\n")


NSA_APPENDIX_PKI = """\
crypto pki server CAServer
database level complete
grant auto
database url flash:/
!
crypto pki trustpoint CAServer
enrollment url http://1.2.3.4:80
revocation-check crl
{kp} CMEServer
!
crypto pki trustpoint CUCME_CAPF_TFTP_SAST1
enrollment url http://1.2.3.4:80
serial-number
revocation-check crl
{kp} CUCME_CAPF_TFTP_SAST1 1024 1024
!
crypto pki trustpoint SAST2
enrollment url http://1.2.3.4:80
serial-number
revocation-check crl
{kp} CUCME_CAPF_TFTP_SAST1 1024 1024
!
crypto pki certificate chain CAServer
certificate ca 01
...
quit
crypto pki certificate chain CUCME_CAPF_TFTP_SAST1
certificate 02
...
quit
certificate ca 01
...
quit
crypto pki certificate chain SAST2
certificate 03
...
quit
certificate ca 01
...
quit
"""

APPENDIX_RUNNING = """\
crypto pki server CAServer
 database level complete
 grant auto
 database url flash:/
 shutdown
!
crypto pki trustpoint CAServer
 enrollment url http://1.2.3.4:80
 revocation-check crl
{kp0}!
crypto pki trustpoint CUCME_CAPF_TFTP_SAST1
 enrollment url http://1.2.3.4:80
 serial-number
 revocation-check crl
{kp1}!
crypto pki trustpoint SAST2
 enrollment url http://1.2.3.4:80
 serial-number
 revocation-check crl
{kp1}!
!
crypto pki certificate chain CAServer
!
crypto pki certificate chain CUCME_CAPF_TFTP_SAST1
!
crypto pki certificate chain SAST2
!
!
"""


async def test_nsa_appendix_b_pki_block(shell, router):
    out = await shell.paste_config(NSA_APPENDIX_PKI.format(kp="rsa-keypair"))
    # `rsa-keypair` is not an IOS keyword (IOS has `rsakeypair`), and the `...` placeholders
    # are not certificate hex: each gets the caret; the empty certificates are not stored.
    assert rejected(out) == [
        "Router(ca-trustpoint)#rsa-keypair CMEServer",
        "Router(ca-trustpoint)#rsa-keypair CUCME_CAPF_TFTP_SAST1 1024 1024",
        "Router(ca-trustpoint)#rsa-keypair CUCME_CAPF_TFTP_SAST1 1024 1024",
    ] + ["Router(config-pubkey)#..."] * 5
    assert section(router.running_config(), "crypto pki server CAServer") == \
        APPENDIX_RUNNING.format(kp0="", kp1="")
    assert all(not certificate_chain(router, n).certificates
               for n in ("CAServer", "CUCME_CAPF_TFTP_SAST1", "SAST2"))
    # The paste left the hex mode at each `quit`: the prompt after it is the chain's.
    assert "Router(config-pubkey)#quit\nRouter(config-cert-chain)#" in out


async def test_nsa_appendix_c_pki_block(shell, router):
    out = await shell.paste_config(NSA_APPENDIX_PKI.format(kp="rsakeypair"))
    assert rejected(out) == ["Router(config-pubkey)#..."] * 5
    assert section(router.running_config(), "crypto pki server CAServer") == \
        APPENDIX_RUNNING.format(kp0=" rsakeypair CMEServer\n",
                                kp1=" rsakeypair CUCME_CAPF_TFTP_SAST1 1024 1024\n")


# ------------------------------------------------------------------------------------------
# The Cisco CME chapter

CISCO_STEPS_2_3 = """\
crypto pki server laverda-ca
  grant auto
  database url flash:
!
crypto pki trustpoint laverda-ca
  enrollment url http://192.168.1.1:80
  revocation-check crl
  rsa-keypair laverda-ca
!configuring a trust point
crypto pki trustpoint capf-server
  enrollment url http://192.168.1.1:80
  revocation-check none
!authenticate w/ the CA and download its certificate
crypto pki authenticate capf-server
! enroll with the CA and obtain this trustpoint's certificate
crypto pki enrollment capf-server
crypto pki trustpoint cme-server
  enrollment url http://192.168.1.1:80
  revocation-check none

crypto pki authenticate cme-server
crypto pki enrollment cme-server
crypto pki trustpoint tftp-server
  enrollment url http://192.168.1.1:80
  revocation-check none

crypto pki authenticate tftp-server
crypto pki enrollment tftp-server
crypto pki trustpoint sast1
  enrollment url http://192.168.1.1:80
  revocation-check none

crypto pki authenticate sast1
crypto pki enrollment sast1
crypto pki trustpoint sast2
  enrollment url http://192.168.1.1:80
  revocation-check none

crypto pki authenticate sast2
crypto pki enrollment sast2
"""


async def test_cisco_chapter_steps_2_and_3(shell, router):
    out = await shell.paste_config(CISCO_STEPS_2_3)
    # `rsa-keypair` again, and `enrollment` is not `enroll` (it is longer, so not a prefix).
    assert rejected(out) == ["Router(ca-trustpoint)#  rsa-keypair laverda-ca"] + [
        f"Router(config)#crypto pki enrollment {tp}"
        for tp in ("capf-server", "cme-server", "tftp-server", "sast1", "sast2")]
    # No CA answers yet: authenticate fails as IOS does with an unreachable CA.
    assert out.count("% Error in receiving Certificate Authority certificate: status = FAIL, "
                     "cert length = 0\n") == 5
    assert out.count("%PKI-3-SOCKETSEND: Failed to send out message to CA server.") == 5
    running = router.running_config()
    assert section(running, "crypto pki server laverda-ca") == """\
crypto pki server laverda-ca
 grant auto
 database url flash:
 shutdown
!
crypto pki trustpoint laverda-ca
 enrollment url http://192.168.1.1:80
 revocation-check crl
!
crypto pki trustpoint capf-server
 enrollment url http://192.168.1.1:80
 revocation-check none
!
crypto pki trustpoint cme-server
 enrollment url http://192.168.1.1:80
 revocation-check none
!
crypto pki trustpoint tftp-server
 enrollment url http://192.168.1.1:80
 revocation-check none
!
crypto pki trustpoint sast1
 enrollment url http://192.168.1.1:80
 revocation-check none
!
crypto pki trustpoint sast2
 enrollment url http://192.168.1.1:80
 revocation-check none
!
!
"""


async def test_authenticate_and_enroll_unknown_trustpoint(shell):
    out = await shell.type("conf t", "crypto pki authenticate NOPE", "crypto pki enroll NOPE",
                           "crypto pki enroll")
    assert out.count("% Trustpoint not found\n") == 2
    assert "Router(config)#crypto pki enroll\n% Incomplete command.\n\n" in out


# ------------------------------------------------------------------------------------------
# Trustpoint options


async def test_trustpoint_options_render_canonically(shell, router):
    out = await shell.type(
        "conf t", "crypto pki trustpoint TP",
        "rsakeypair TP 1024", "revoc none crl ocsp", "subject-name CN=CME1,O=Lab",
        "password 7 0822455D0A16", "ip-address none", "serial-number none",
        "enrollment terminal", "enrollment selfsigned", "enrollment mode ra",
        "rsakeypair TP 100", "revocation-check maybe",
    )
    assert rejected(out) == ["Router(ca-trustpoint)#rsakeypair TP 100",
                             "Router(ca-trustpoint)#revocation-check maybe"]
    assert section(router.running_config(), "crypto pki trustpoint TP") == """\
crypto pki trustpoint TP
 enrollment mode ra
 enrollment selfsigned
 serial-number none
 ip-address none
 password 7 0822455D0A16
 subject-name CN=CME1,O=Lab
 revocation-check none crl ocsp
 rsakeypair TP 1024
!
!
"""
    await shell.type("conf t", "crypto pki trustpoint TP", "no enrollment", "no rsakeypair",
                     "ip-address 10.1.1.1", "enrollment url http://10.1.1.1:80")
    text = section(router.running_config(), "crypto pki trustpoint TP")
    assert " enrollment url http://10.1.1.1:80\n" in text and "selfsigned" not in text
    assert " ip-address 10.1.1.1\n" in text and "rsakeypair" not in text
    await shell.type("conf t", "no crypto pki trustpoint TP")
    assert "crypto pki trustpoint TP" not in router.running_config()


# ------------------------------------------------------------------------------------------
# Certificate chains


async def test_certificate_hex_paste_renders_as_ios(shell, router):
    der = self_signed()
    text = der.hex().upper()
    pasted = [text[i:i + 16] + " " + text[i + 16:i + 40] for i in range(0, len(text), 40)]
    out = await shell.type("conf t", "crypto pki trustpoint LABCA", "enrollment terminal",
                           "crypto pki certificate chain LABCA", "certificate ca 01",
                           *pasted, "  quit", "end", "show crypto pki trustpoints")
    assert rejected(out) == []
    words = [text[i:i + 8] for i in range(0, len(text), 8)]
    body = ["  " + " ".join(words[i:i + 8]) for i in range(0, len(words), 8)]
    expected = "\n".join(["crypto pki certificate chain LABCA", " certificate ca 01",
                          *body, "  \tquit", "!", "!"]) + "\n"
    assert section(router.running_config(), "crypto pki certificate chain LABCA") == expected
    assert certificate_chain(router, "LABCA").der(ca=True) == [der]
    assert ("Trustpoint LABCA:\n    Subject Name:\n    cn=LABCA\n"
            "          Serial Number (hex): 01\n    Certificate configured.\n") in out


async def test_bad_certificate_data_is_not_stored(shell, router):
    out = await shell.type("conf t", "crypto pki certificate chain X", "certificate 05",
                           "30820122 ZZ00", "30820122 300D", "quit", "end")
    assert rejected(out) == ["Router(config-pubkey)#30820122 ZZ00"]
    assert "% Certificate data is not a valid certificate; certificate 05 not stored.\n" in out
    assert certificate_chain(router, "X").certificates == []


async def test_chain_helpers_for_enrolment(router):
    ca, mine = self_signed("LABCA", 1), self_signed("CME1", 0x80)
    chain = certificate_chain(router, "CME-TP", create=True)
    chain.set_der(router_certs=[mine], ca_certs=[ca])
    assert chain.der() == [mine, ca] and chain.der(ca=False) == [mine]
    text = router.running_config()
    # router certificate first, then the CA; serials as DER INTEGER bytes (`0080`)
    assert text.index(" certificate 0080\n") < text.index(" certificate ca 01\n")
    assert "crypto pki certificate chain CME-TP\n certificate 0080\n  3082" in text


# ------------------------------------------------------------------------------------------
# The certificate server


async def test_certificate_server_start_dialogue_and_show(shell, router):
    out = await shell.type("conf t", "crypto pki server LABCA", "end",
                           "show crypto pki server")
    assert """\
Certificate Server LABCA:
    Status: disabled
    State: initial
    Server's configuration is unlocked (enter "no shut" to lock it)
    Issuer name: CN=LABCA
    CA cert fingerprint: -Not found-
    Granting mode is: manual
    Current primary storage dir: nvram:
    Database Level: Minimum - no cert data written to storage
""" in out
    out = await shell.type("conf t", "crypto pki server LABCA", "no shutdown", "")
    assert "% or type Return to exit\nPassword: \nRouter(cs-server)#" in out
    assert " shutdown\n" in section(router.running_config(), "crypto pki server LABCA")
    out = await shell.type("conf t", "crypto pki server LABCA", "no shutdown",
                           "labpass1", "labpass1", "end", "show crypto pki server")
    assert ("Router(cs-server)#no shutdown\n"
            "%Some server settings cannot be changed after CA certificate generation.\n"
            "% Please enter a passphrase to protect the private key\n"
            "% or type Return to exit\n"
            "Password: \n"
            "\n"
            "Re-enter password: \n"
            "% Generating 1024 bit RSA keys, keys will be non-exportable...\n") in out
    assert "\n\n% Certificate Server enabled.\n" in out
    assert "%PKI-6-CS_ENABLED: Certificate server now enabled." in out
    assert "    Status: disabled, HTTP Server is disabled\n    State: check failed\n" in out
    assert keystore_of(router).get("LABCA").bits == 1024
    running = router.running_config()
    assert "crypto pki server LABCA\n!\n" in running
    assert ("crypto pki trustpoint LABCA\n revocation-check crl\n rsakeypair LABCA\n!\n"
            in running)
    out = await shell.type("conf t", "ip http server", "end", "show crypto pki server")
    assert ("    Status: enabled\n    State: enabled\n"
            '    Server\'s configuration is locked  (enter "shut" to unlock it)\n'
            "    Issuer name: CN=LABCA\n") in out  # as configured, not the cert's `cn=`
    out = await shell.type("conf t", "crypto pki server LABCA", "shutdown", "no shutdown")
    assert "%PKI-6-CS_DISABLED: Certificate server now disabled." in out
    assert "Password:" not in out and "% Certificate Server enabled." in out


async def test_cs_server_options(shell, router):
    out = await shell.type("conf t", "crypto pki server CA", "mode ra", "grant none",
                           "issuer-name CN=CA,O=Lab", "lifetime certificate 730",
                           "lifetime ca-certificate 1095", "lifetime crl 24",
                           "lifetime enrollment-request 168", "lifetime crl 400",
                           "grant auto", "no grant", "no lifetime crl")
    assert rejected(out) == ["Router(cs-server)#lifetime crl 400"]
    assert section(router.running_config(), "crypto pki server CA") == """\
crypto pki server CA
 mode ra
 issuer-name CN=CA,O=Lab
 lifetime certificate 730
 lifetime ca-certificate 1095
 lifetime enrollment-request 168
 shutdown
!
"""


async def test_saved_configuration_comes_back_at_boot(shell, router):
    from cucme_lab.shell.boot import apply_config

    der = self_signed()
    chain = certificate_chain(router, "LABCA", create=True)
    await shell.paste_config(NSA_APPENDIX_PKI.format(kp="rsakeypair"))
    chain.set_der(ca_certs=[der])
    await shell.type("conf t", "crypto pki server RUNNING", "no shutdown", "pass1234",
                     "pass1234")
    before = router.startup_config_text()
    router.factory_reset()
    out = await apply_config(router, before, command_set())
    assert INVALID not in out
    assert router.startup_config_text() == before
    assert certificate_chain(router, "LABCA").der() == [der]
    assert "crypto pki server RUNNING\n!\n" in router.running_config()


async def test_the_first_key_pair_enables_ssh_whatever_its_name(shell, router):
    """IOS enables SSH with the first RSA key pair it holds (`%SSH-5-ENABLED` follows a
    `TP-self-signed-...` key in a real capture), not only a `hostname.domain` one."""
    out = await shell.type("show ip ssh")
    assert "SSH Disabled - version 1.99\n" in out
    out = await shell.type("conf t", "crypto pki server LABCA", "no shutdown", "labpass1",
                           "labpass1", "end", "show ip ssh")
    assert out.count("%SSH-5-ENABLED: SSH 1.99 has been enabled") == 1
    assert "SSH Enabled - version 1.99\nAuthentication timeout: 120 secs" in out
    out = await shell.type("conf t", "crypto key zeroize rsa LABCA", "yes", "end")
    assert "%SSH-5-DISABLED: SSH 1.99 has been disabled" in out


async def test_ctrl_c_aborts_the_ca_passphrase_and_yes_no_questions(shell, router):
    """Ctrl-C (a script line holding only it) ends the dialogue where it is pressed."""
    out = await shell.type("conf t", "crypto pki server LABCA", "no shutdown", "\x03",
                           "no shutdown", "labpass1", "\x03", "end")
    assert out.count("Password: ^C\nRouter(cs-server)#") == 1
    assert "Re-enter password: ^C\nRouter(cs-server)#end" in out
    assert not keystore_of(router).has("LABCA") and "enabled" not in out
    await shell.type("conf t", "crypto key generate rsa label K1 modulus 768", "end")
    out = await shell.type("conf t", "crypto key zeroize rsa K1", "maybe", "\x03", "end")
    assert out.count("[yes/no]: ") == 2 and "[yes/no]: ^C\nRouter(config)#end" in out
    assert keystore_of(router).has("K1")
    out = await shell.type("reload", "\x03", "show clock")
    assert "Save? [yes/no]: ^C\nRouter#show clock" in out
