"""The PKI and CME-security blocks of the typed configuration model agree with their declarations.

Each block's typed lines are typed in; every attribute then holds its typed value, running-config
prints the block back byte for byte, no typed setting is left unwritten, and the `no` forms put
the attributes back to their defaults. The readers (the CA, validation, CAPF, the CTL client)
see the typed values. The root's `tftp-server` bindings are typed the same way.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from cucme_lab.router.capf import config as capf_cfg
from cucme_lab.router.capf import model as capf_model
from cucme_lab.router.config.model import field_default, typed_fields
from cucme_lab.router.config.provisioning import TftpBinding
from cucme_lab.router.pki import ca, credentials, validation
from cucme_lab.router.pki import config as pki
from cucme_lab.router.provisioning import config as prov
from cucme_lab.wire.capf import AuthType

SERVER = """\
crypto pki server CA
 mode ra
 database level complete
 issuer-name CN=CA,O=Lab
 grant auto
 lifetime crl 24
 lifetime certificate 730
 lifetime ca-certificate 1095
 lifetime enrollment-request 168
 database url flash:/ca
 shutdown
 cdp-url http://10.0.0.1/crl
"""

TRUSTPOINT = """\
crypto pki trustpoint TP
 enrollment mode ra
 enrollment url http://10.0.0.1:80
 serial-number
 ip-address 10.0.0.2
 password 7 0822455D0A16
 subject-name CN=CME1,O=Lab
 revocation-check crl none
 rsakeypair TP-KEY 1024 2048
"""

# Type-1 passwords as typed, so that running-config prints them back unchanged.
SECURITY = """\
ctl-client
 server cme-tftp 10.0.0.1 trustpoint CME
 server cme 10.0.0.2 username admin password 1 03085A090A0E23404F0B
 server capf 10.0.0.1 trustpoint CAPF
 sast1 trustpoint SAST1
 sast2 trustpoint SAST2
 import certificate 5 CUCM flash:cucm.cer
!
capf-server
 port 3805
 auth-mode auth-string
 cert-enroll-trustpoint CA password 1 03085A090A0E23404F0B
 trustpoint-label CAPF
 source-addr 10.0.0.1
 phone-key-size 2048
 keygen-retry 5
 keygen-timeout 10
 cert-oper upgrade all
!
credentials
 ip source-address 10.0.0.1 port 2444
 trustpoint CTLP
 ctl-service admin ctlp secret 1 03085A090A0E23404F0B
"""


def block_text(running: str, header: str) -> str:
    lines = running.splitlines()
    start = lines.index(header)
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    return "\n".join(lines[start:end]) + "\n"


def unwritten(block: object) -> list[str]:
    """Typed settings still at their default: no declaration wrote them."""
    cls = type(block)
    return [name for name in typed_fields(cls)
            if getattr(block, name) == field_default(cls, name)]


def at_default(block: object) -> list[str]:
    cls = type(block)
    return [name for name in typed_fields(cls)
            if getattr(block, name) != field_default(cls, name)]


async def test_every_certificate_server_setting_is_typed_and_prints_back(shell, router):
    await shell.paste_config(SERVER)
    sec = pki.certificate_server(router.config, "CA")
    assert sec is not None
    assert block_text(router.running_config(), "crypto pki server CA") == SERVER
    assert sec.mode_ra is True and sec.shutdown is True
    assert sec.database_level is pki.DatabaseLevel.COMPLETE
    assert sec.issuer_name == "CN=CA,O=Lab" and sec.grant is pki.GrantMode.AUTO
    assert (sec.lifetime_crl, sec.lifetime_certificate, sec.lifetime_ca_certificate,
            sec.lifetime_enrollment_request) == (24, 730, 1095, 168)
    assert (sec.database_url, sec.cdp_url) == ("flash:/ca", "http://10.0.0.1/crl")
    assert unwritten(sec) == [], "each typed setting is written by a declaration"
    server = ca.CertificateServer(router, "CA")
    assert server.grant_mode is pki.GrantMode.AUTO and not server.running
    assert server.database_dir() == router.storage.flash_path("ca")
    assert server.crl_url() == "http://10.0.0.1/crl"
    assert server.issuer_name.rfc4514_string() == "CN=CA,O=Lab"


async def test_certificate_server_no_forms_reset(shell, router):
    await shell.paste_config(SERVER)
    await shell.type("conf t", "crypto pki server CA", "no mode ra", "no database level",
                     "no issuer-name", "no grant", "no lifetime crl", "no lifetime certificate",
                     "no lifetime ca-certificate", "no lifetime enrollment-request",
                     "no database url", "no cdp-url")
    sec = pki.certificate_server(router.config, "CA")
    assert sec is not None
    assert at_default(sec) == ["shutdown"]  # `no shutdown` is the CA's start dialogue
    assert (sec.grant, sec.level, sec.storage_url) == (pki.GrantMode.MANUAL,
                                                       pki.DatabaseLevel.MINIMUM, "nvram:")
    assert block_text(router.running_config(), "crypto pki server CA") == (
        "crypto pki server CA\n shutdown\n")


async def test_every_trustpoint_setting_is_typed_and_prints_back(shell, router):
    await shell.paste_config(TRUSTPOINT)
    tp = pki.trustpoint(router.config, "TP")
    assert tp is not None
    assert block_text(router.running_config(), "crypto pki trustpoint TP") == TRUSTPOINT
    assert tp.enrollment_mode_ra is True
    assert tp.enrollment == pki.Enrollment(pki.EnrollmentMethod.URL, "http://10.0.0.1:80")
    assert tp.enrollment_url == "http://10.0.0.1:80"
    assert tp.serial_number is True
    assert tp.ip_address == pki.SubjectAddress(IPv4Address("10.0.0.2"))
    assert tp.password == pki.ChallengePassword("0822455D0A16", "7")
    assert tp.subject_name == "CN=CME1,O=Lab"
    assert tp.revocation_check == (pki.RevocationMethod.CRL, pki.RevocationMethod.NONE)
    assert tp.rsakeypair == pki.KeyPair("TP-KEY", 1024, 2048)
    assert unwritten(tp) == [], "each typed setting is written by a declaration"
    assert validation.revocation_methods(router, "TP") == ["crl", "none"]
    assert credentials.key_label(router, "TP") == "TP-KEY"


async def test_trustpoint_alternatives_and_no_forms(shell, router):
    await shell.paste_config(TRUSTPOINT)
    await shell.type("conf t", "crypto pki trustpoint TP", "enrollment terminal pem",
                     "serial-number none", "ip-address none")
    tp = pki.trustpoint(router.config, "TP")
    assert tp is not None
    assert tp.enrollment == pki.Enrollment(pki.EnrollmentMethod.TERMINAL, pem=True)
    assert tp.enrollment_url is None
    assert (tp.serial_number, tp.ip_address) == (False, pki.SubjectAddress(None))
    text = block_text(router.running_config(), "crypto pki trustpoint TP")
    assert " enrollment terminal pem\n serial-number none\n ip-address none\n" in text
    await shell.type("conf t", "crypto pki trustpoint TP", "enrollment selfsigned")
    assert tp.enrollment == pki.Enrollment(pki.EnrollmentMethod.SELFSIGNED)
    await shell.type("conf t", "crypto pki trustpoint TP", "no enrollment mode ra",
                     "no enrollment selfsigned", "no serial-number", "no ip-address",
                     "no password", "no subject-name", "no revocation-check", "no rsakeypair")
    assert at_default(tp) == []
    assert tp.revocation_methods == (pki.RevocationMethod.CRL,) and tp.key_label == "TP"
    assert block_text(router.running_config(), "crypto pki trustpoint TP") == (
        "crypto pki trustpoint TP\n")


async def test_every_cme_security_setting_is_typed_and_prints_back(shell, router):
    await shell.paste_config(SECURITY)
    running = router.running_config()
    for header in ("ctl-client", "capf-server", "credentials"):
        expected = SECURITY.split(header + "\n")[1].split("!")[0]
        assert block_text(running, header) == header + "\n" + expected

    ctl = prov.ctl_client(router.config)
    assert ctl is not None
    assert list(ctl.servers.values()) == [
        prov.CtlServer(prov.CtlFunction.CME_TFTP, IPv4Address("10.0.0.1"), "CME"),
        prov.RemoteCme(IPv4Address("10.0.0.2"), "admin", "lablablab", "03085A090A0E23404F0B"),
        prov.CtlServer(prov.CtlFunction.CAPF, IPv4Address("10.0.0.1"), "CAPF")]
    assert (ctl.sast1, ctl.sast2) == ("SAST1", "SAST2")
    assert ctl.imports == {5: prov.ImportedCertificate(5, "CUCM", "flash:cucm.cer")}

    capf = capf_cfg.capf_server(router.config)
    assert capf is not None and capf_model.capf_config(router) is capf
    assert (capf.port, capf.listen_port, capf.trustpoint_label) == (3805, 3805, "CAPF")
    assert capf.auth_mode is capf_cfg.CapfAuthMode.AUTH_STRING
    assert capf.cert_enroll_trustpoint == capf_cfg.EnrollTrustpoint(
        "CA", "lablablab", "03085A090A0E23404F0B")
    assert capf.ca_trustpoint == "CA"
    assert (capf.source_addr, capf.source_address) == (IPv4Address("10.0.0.1"), "10.0.0.1")
    assert (capf.phone_key_size, capf.keygen_retry, capf.keygen_timeout) == (2048, 5, 10)
    assert capf.cert_oper is capf_cfg.CertOperation.UPGRADE

    cred = prov.credentials_block(router.config)
    assert cred is not None
    assert cred.source == prov.CredentialsSource(IPv4Address("10.0.0.1"), 2444)
    assert cred.trustpoint == "CTLP"
    assert cred.ctl_service_admin == prov.CtlServiceAdmin("ctlp", "lablablab",
                                                          "03085A090A0E23404F0B")
    for block in (ctl, capf, cred):
        assert unwritten(block) == [], "each typed setting is written by a declaration"


async def test_capf_reads_the_typed_block_for_each_phone(shell, router):
    await shell.paste_config(SECURITY + "ephone 1\n mac-address CAFE.CAFE.1234\n"
                             " capf-auth-str 4321\n")
    device = capf_model.ScheduledDevices(router)["SEPCAFECAFE1234"]
    assert (device.auth_mode, device.password, device.key_size) == (AuthType.PASSWORD, "4321",
                                                                     2048)


async def test_cme_security_no_forms_reset(shell, router):
    await shell.paste_config(SECURITY)
    await shell.type("conf t", "ctl-client", "no server capf 10.0.0.1 trustpoint CAPF")
    ctl = prov.ctl_client(router.config)
    assert ctl is not None and [s.key for s in ctl.servers.values()] == [
        ("cme-tftp", IPv4Address("10.0.0.1")), ("cme username", IPv4Address("10.0.0.2"))]
    await shell.type("conf t", "ctl-client", "no server cme 10.0.0.2 username admin password 0 x")
    assert [s.key for s in ctl.servers.values()] == [("cme-tftp", IPv4Address("10.0.0.1"))]
    await shell.type("conf t", "ctl-client", "no server cme-tftp", "no sast1 trustpoint",
                     "no sast2 trustpoint",
                     "no import certificate 5",
                     "capf-server", "no port", "no auth-mode", "no cert-enroll-trustpoint",
                     "no trustpoint-label", "no source-addr", "no phone-key-size",
                     "no keygen-retry", "no keygen-timeout", "no cert-oper",
                     "credentials", "no ip source-address", "no trustpoint",
                     "no ctl-service admin")
    capf = capf_cfg.capf_server(router.config)
    cred = prov.credentials_block(router.config)
    assert capf is not None and cred is not None
    for block in (ctl, capf, cred):
        assert at_default(block) == []
    assert (capf.listen_port, capf.key_size, capf.keygen_retries, capf.keygen_timeout_minutes,
            capf.device_auth_mode) == (3804, 1024, 3, 30, capf_cfg.CapfAuthMode.NONE)
    running = router.running_config()
    for header in ("ctl-client", "capf-server", "credentials"):
        assert block_text(running, header) == header + "\n"


TFTP_BINDINGS = """\
tftp-server flash:music.au
tftp-server flash:music.au alias moh.au
tftp-server flash:later.bin
"""


async def test_tftp_server_bindings_are_typed_root_settings(shell, router):
    await shell.paste_config(TFTP_BINDINGS)
    assert "!\n" + TFTP_BINDINGS + "!\n" in router.running_config()
    assert list(router.config.tftp_bindings.values()) == [
        TftpBinding("flash:music.au"), TftpBinding("flash:music.au", "moh.au"),
        TftpBinding("flash:later.bin")]
    assert [b.name for b in router.config.tftp_bindings.values()] == [
        "music.au", "moh.au", "later.bin"]
    await shell.type("conf t", "tftp-server flash:music.au", "no tftp-server flash:later.bin")
    assert list(router.config.tftp_bindings) == [("flash:music.au", None),
                                                 ("flash:music.au", "moh.au")]
    await shell.type("conf t", "no tftp-server flash:music.au alias moh.au")
    assert list(router.config.tftp_bindings) == [("flash:music.au", None)]
    await shell.type("conf t", "tftp-server flash:music.au alias moh.au",
                     "no tftp-server flash:music.au")
    assert router.config.tftp_bindings == {} and "tftp-server" not in router.running_config()
