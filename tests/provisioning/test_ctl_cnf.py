"""CTL client, cnf files, load-cfg-file and tftp-server bindings, through the shell (no sockets).

Files are checked with the independent readers in emulator.wire (written from the spec) and
against the reference fixtures' layout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from cucme_lab.router.provisioning.tftp_table import published
from cucme_lab.wire.cnf_xml import parse_cnf_xml
from cucme_lab.wire.ctl import Role, parse_ctl, verify_ctl
from cucme_lab.wire.sgn import parse_sgn, verify_sgn, verify_sgn_with_ctl
from cucme_lab.wire.signed_header import VerificationError, serial_int

from .certs import enroll, session_ca
from .nsa import TPS, rejected, type_nsa

DER = serialization.Encoding.DER
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "phone-security"
SEP1 = "SEPCAFECAFE1234.cnf.xml"
SEP2 = "SEPCAFECAFE1235.cnf.xml"


def record_tags(raw: bytes, start: int) -> list[int]:
    """Tag order of the CTL record at `start`, read by hand from the bytes."""
    end = start + int.from_bytes(raw[start + 3:start + 5], "big")
    tags, pos = [], start
    while pos < end:
        tags.append(raw[pos])
        pos += 3 + int.from_bytes(raw[pos + 1:pos + 3], "big")
    return tags


def _starts(raw: bytes, ctl) -> list[int]:
    pos, out = ctl.header.header_length, []
    while pos < len(raw):
        out.append(pos)
        pos += int.from_bytes(raw[pos + 3:pos + 5], "big")
    return out


def cert_der(router, tp):
    from cucme_lab.router.pki.credentials import certificate

    return certificate(router, tp).public_bytes(DER)


async def test_nsa_sections_3_and_4_produce_verifiable_files(shell, router):
    out = await type_nsa(shell)
    assert rejected(out) == []
    ctl_bytes = router.storage.read_flash("CTLFile.tlv")
    assert ctl_bytes is not None and published(router).get("CTLFile.tlv") == ctl_bytes
    ctl = parse_ctl(ctl_bytes)
    signer = verify_ctl(ctl)
    sast1 = cert_der(router, "CUCME_CAPF_TFTP_SAST1")
    assert signer.certificate == sast1
    assert ctl.header.filename == "CTLFile.tlv" and ctl.header.version == (1, 2)
    assert ctl.header.hash_algorithm == 1 and ctl.header.modulus_code == 1  # SHA-1, RSA-1024
    roles = [(r.role, r.certificate) for r in ctl.records]
    assert roles == [(Role.SAST, sast1), (Role.SAST, cert_der(router, "SAST2")),
                     (Role.CCM_TFTP, sast1), (Role.CAPF, sast1)]
    for record in ctl.with_role(Role.CCM_TFTP, Role.CAPF):
        assert str(record.ip) == "1.2.3.4"
        assert record.certificate_hash is not None and len(record.certificate_hash) == 20
    # the same record layout as the reference builder's fixture (tags 1,3,5,6,4,7,8,9 first)
    fixture = parse_ctl((FIXTURES / "CTLFile-cme-tftp.tlv").read_bytes())
    assert [r.role for r in fixture.records] == [r.role for r in ctl.records]
    assert record_tags(ctl_bytes, ctl.header.header_length) == record_tags(
        fixture.raw, fixture.header.header_length) == [1, 3, 5, 6, 4, 7, 8, 9]  # SAST records
    server_at = ctl.header.header_length + sum(
        int.from_bytes(ctl_bytes[p + 3:p + 5], "big") for p in _starts(ctl_bytes, ctl)[:2])
    assert record_tags(ctl_bytes, server_at) == [1, 3, 5, 6, 4, 7, 8, 9, 10, 11, 12]

    # cnf.xml.sgn verifies with the TFTP certificate listed in that CTL
    for name in (SEP1, SEP2, "XMLDefault.cnf.xml"):
        sgn = parse_sgn(published(router).get(name + ".sgn"))
        assert verify_sgn_with_ctl(sgn, ctl).role == Role.CCM_TFTP
        assert sgn.header.filename == name + ".sgn"
        assert sgn.content == published(router).get(name)
    one = parse_cnf_xml(published(router).get(SEP1))
    assert one.device_security_mode == 3 and one.secure
    assert [(m.process_node_name, m.ethernet_phone_port) for m in one.call_managers] == [
        ("1.2.3.4", 2000)]
    assert one.registration_port(one.call_managers[0]) == 2443
    assert one.capf_auth_mode == 2 and one.capf_operation_pending
    assert [(c.process_node_name, c.phone_port) for c in one.capf_servers] == [("1.2.3.4", 3804)]
    two = parse_cnf_xml(published(router).get(SEP2))
    assert two.device_security_mode == 2 and not two.capf_operation_pending
    assert two.version_stamp == one.version_stamp is not None
    # regenerate switched CME to secure once telephony-service existed? (it ran before it)
    out = await shell.type("show telephony-service tftp-bindings")
    assert "tftp-server flash:CTLFile.tlv\n" in out
    assert f"tftp-server system:/its/{SEP1}.sgn\n" in out
    # spec 6.7: XMLDefault's binding carries its alias
    assert "tftp-server system:/its/XMLDefault.cnf.xml alias XMLDefault.cnf.xml\n" in out


async def test_regenerate_sets_server_security_mode_and_debug_trace(shell, router):
    await type_nsa(shell)
    out = await shell.type("debug ctl-client", "conf t", "ctl-client", "regenerate", "end",
                           "show running-config", "undebug ctl-client")
    assert "CTL Client debugging is on" in out
    assert " server-security-mode secure\n" in out
    trace = [line.split(": ", 1)[1] for line in router.log.lines
             if "ctl_client" in line or "create_ctl_record" in line or "CTL File" in line]
    assert trace == [
        "ctl_client_create_ctlfile:",
        "create_ctl_record: Function 0 Trustpoint CUCME_CAPF_TFTP_SAST1",
        "create_ctl_record: record added for function 0",
        "create_ctl_record: Function 0 Trustpoint SAST2",
        "create_ctl_record: record added for function 0",
        "create_ctl_record: Function 2 Trustpoint CUCME_CAPF_TFTP_SAST1",
        "create_ctl_record: record added for function 2",
        "create_ctl_record: Function 4 Trustpoint CUCME_CAPF_TFTP_SAST1",
        "create_ctl_record: record added for function 4",
        "ctl_client_create_ctlfile: Signature length 128",
        "CTL File Created Successfully",
    ]
    out = await shell.type("show ctl-client", "show running-config | include regenerate")
    assert "                CME     1.2.3.4         CUCME_CAPF_TFTP_SAST1\n" in out
    assert "                TFTP    1.2.3.4         CUCME_CAPF_TFTP_SAST1\n" in out
    assert "regenerate" not in out.split("show running-config | include regenerate")[1]


async def test_regenerate_without_sast2_writes_nothing(shell, router):
    await shell.paste_config("crypto pki trustpoint SAST1\n rsakeypair SAST1 1024\n")
    enroll(router, "SAST1")
    out = await shell.paste_config(
        "ctl-client\n server cme-tftp 1.2.3.4 trustpoint SAST1\n sast1 trustpoint SAST1\n"
        " regenerate\n")
    assert "% CTL file generation failed: SAST2 trustpoint is not configured" in out
    assert router.storage.read_flash("CTLFile.tlv") is None
    assert published(router).get("CTLFile.tlv") is None
    # a SAST2 trustpoint that never enrolled: still nothing, and the error names it
    out = await shell.paste_config("crypto pki trustpoint SAST2\n rsakeypair SAST2 1024\n"
                                   "ctl-client\n sast2 trustpoint SAST2\n regenerate\n")
    assert "% CTL file generation failed: trustpoint SAST2 has no valid certificate" in out
    assert router.storage.read_flash("CTLFile.tlv") is None
    # a server trustpoint that does not exist
    enroll(router, "SAST2")
    out = await shell.paste_config("ctl-client\n server capf 1.2.3.4 trustpoint NOPE\n"
                                   " regenerate\n")
    assert "% CTL file generation failed: trustpoint NOPE does not exist" in out
    assert router.storage.read_flash("CTLFile.tlv") is None
    out = await shell.paste_config("ctl-client\n no server capf 1.2.3.4 trustpoint NOPE\n"
                                   " regenerate\n")
    assert rejected(out) == []
    assert router.storage.read_flash("CTLFile.tlv") is not None


async def test_same_certificate_for_both_sasts_is_refused(shell, router):
    await shell.paste_config("crypto pki trustpoint SAST1\n rsakeypair SAST1 1024\n")
    enroll(router, "SAST1")
    out = await shell.paste_config("ctl-client\n sast1 trustpoint SAST1\n"
                                   " sast2 trustpoint SAST1\n regenerate\n")
    assert "% CTL file generation failed: SAST1 and SAST2 must use different certificates" in out
    assert router.storage.read_flash("CTLFile.tlv") is None


async def test_reenrolled_certificate_without_regenerate_keeps_the_old_one(shell, router):
    await type_nsa(shell)
    old_ctl = parse_ctl(published(router).get("CTLFile.tlv"))
    old_cert = cert_der(router, "CUCME_CAPF_TFTP_SAST1")
    new_cert = enroll(router, "CUCME_CAPF_TFTP_SAST1", generation=1).public_bytes(DER)
    assert new_cert != old_cert
    out = await shell.paste_config("telephony-service\n create cnf-files\n")
    assert rejected(out) == []
    ctl = parse_ctl(published(router).get("CTLFile.tlv"))
    assert ctl.raw == old_ctl.raw
    assert [r.certificate for r in ctl.with_role(Role.CCM_TFTP)] == [old_cert]
    # the real symptom: the phone's CTL does not list the key that now signs the files
    sgn = parse_sgn(published(router).get(SEP1 + ".sgn"))
    with pytest.raises(VerificationError):
        verify_sgn_with_ctl(sgn, ctl)
    await shell.paste_config("ctl-client\n regenerate\n")
    ctl = parse_ctl(published(router).get("CTLFile.tlv"))
    assert verify_ctl(ctl).certificate == new_cert
    verify_sgn_with_ctl(sgn, ctl)


async def test_config_changes_reach_phones_only_after_create_cnf_files(shell, router):
    await type_nsa(shell)
    before = published(router).get(SEP2)
    await shell.paste_config("ephone 2\n device-security-mode encrypted\n")
    assert published(router).get(SEP2) == before
    await shell.paste_config("telephony-service\n create cnf-files\n")
    assert parse_cnf_xml(published(router).get(SEP2)).device_security_mode == 3


async def test_ephone_template_overrides_global_service_phone(shell, router):
    await type_nsa(shell)
    out = await shell.paste_config("""\
telephony-service
  service phone disableSpeaker true
  service phone garp 1
  service phone webAccess 1
  service phone settingsAccess 2
  service phone myCustomThing on
ephone-template 1
  service phone settingsAccess 0
  service phone webAccess 0
ephone 1
  ephone-template 1
telephony-service
  create cnf-files
""")
    assert rejected(out) == []
    one = parse_cnf_xml(published(router).get(SEP1)).vendor_config
    two = parse_cnf_xml(published(router).get(SEP2)).vendor_config
    assert (one.settings_access, one.web_access, one.garp, one.disable_speaker) == (0, 0, 1, True)
    assert (two.settings_access, two.web_access, two.garp, two.disable_speaker) == (2, 1, 1, True)
    assert one.extra == two.extra == {"myCustomThing": "on"}


async def test_load_cfg_file_sign_create_and_plain(shell, router):
    await type_nsa(shell)
    router.storage.write_flash("Ringlist.xml", b"<CiscoIPPhoneRingList/>\n")
    router.storage.write_flash("Plain.xml", b"<plain/>\n")
    # `sign` alone needs the signed copy from an earlier `sign create`
    out = await shell.paste_config(
        "telephony-service\n load-cfg-file flash:Ringlist.xml alias Ringlist.xml sign\n")
    assert "%Error opening flash:Ringlist.xml.sgn (No such file or directory)" in out
    assert published(router).get("Ringlist.xml.sgn") is None
    out = await shell.paste_config(
        "telephony-service\n load-cfg-file flash:Ringlist.xml alias Ringlist.xml sign create\n"
        " load-cfg-file flash:Plain.xml alias Plain.xml\n")
    assert rejected(out) == []
    signed = router.storage.read_flash("Ringlist.xml.sgn")
    assert signed is not None and published(router).get("Ringlist.xml.sgn") == signed
    sgn = parse_sgn(signed)
    assert sgn.content == b"<CiscoIPPhoneRingList/>\n" and sgn.header.filename == \
        "Ringlist.xml.sgn"
    verify_sgn_with_ctl(sgn, parse_ctl(published(router).get("CTLFile.tlv")))
    assert published(router).get("Ringlist.xml") == b"<CiscoIPPhoneRingList/>\n"
    assert published(router).get("Plain.xml") == b"<plain/>\n"
    assert published(router).get("Plain.xml.sgn") is None
    running = await shell.type("show running-config")
    assert " load-cfg-file flash:Ringlist.xml alias Ringlist.xml sign\n" in running
    assert "create\n" not in running.split("load-cfg-file flash:Ringlist.xml")[1][:30]
    out = await shell.type("show telephony-service tftp-bindings")
    assert "tftp-server flash:Ringlist.xml.sgn alias Ringlist.xml.sgn\n" not in out
    assert "tftp-server flash:Ringlist.xml.sgn\n" in out
    # a missing flash file: error, line kept (IOS keeps it), nothing published for it
    out = await shell.paste_config(
        "telephony-service\n load-cfg-file flash:Missing.xml alias Missing.xml sign create\n")
    assert "%Error opening flash:Missing.xml (No such file or directory)" in out
    assert published(router).get("Missing.xml") is None
    assert published(router).get("Ringlist.xml.sgn") == signed
    # `no load-cfg-file` stops serving the alias
    await shell.paste_config("telephony-service\n no load-cfg-file flash:Plain.xml alias "
                             "Plain.xml\n")
    assert published(router).get("Plain.xml") is None


async def test_bad_credentials_keep_the_published_table(shell, router):
    await type_nsa(shell)
    before = published(router)
    # per-phone security with no tftp-server-credentials: nothing half written
    out = await shell.paste_config("telephony-service\n no tftp-server-credentials trustpoint\n"
                                   " create cnf-files\n")
    assert "% ephone 1 is in encrypted mode: signed configuration files need " \
        "tftp-server-credentials trustpoint" in out
    assert published(router).groups["cnf"] == before.groups["cnf"]
    # a credentials trustpoint without a certificate
    out = await shell.paste_config("crypto pki trustpoint EMPTY\n rsakeypair EMPTY 1024\n"
                                   "telephony-service\n tftp-server-credentials trustpoint EMPTY"
                                   "\n create cnf-files\n")
    assert "% TFTP server credentials: trustpoint EMPTY has no certificate" in out
    assert published(router).groups["cnf"] == before.groups["cnf"]
    out = await shell.paste_config("telephony-service\n load-cfg-file flash:x.xml alias x.xml "
                                   "sign create\n")
    assert "%Error opening flash:x.xml (No such file or directory)" in out


async def test_tftp_server_bindings_follow_flash(shell, router):
    router.storage.write_flash("music.au", b"\x01\x02")
    out = await shell.paste_config("tftp-server flash:music.au\n"
                                   "tftp-server flash:music.au alias moh.au\n"
                                   "tftp-server flash:later.bin\n")
    assert rejected(out) == []
    table = published(router)
    assert table.get("music.au") == table.get("moh.au") == b"\x01\x02"
    assert table.get("later.bin") is None
    running = await shell.type("show running-config")
    assert "!\ntftp-server flash:music.au\ntftp-server flash:music.au alias moh.au\n" \
        "tftp-server flash:later.bin\n!\n" in running
    await shell.type("copy flash:music.au flash:later.bin", "")
    assert published(router).get("later.bin") == b"\x01\x02"
    await shell.type("delete flash:later.bin", "", "")
    assert published(router).get("later.bin") is None
    await shell.paste_config("no tftp-server flash:music.au\n")
    assert published(router).get("moh.au") is None
    assert (await shell.type("show telephony-service tftp-bindings")).count("tftp-server") == 0
    router.storage.write_flash("later.bin", b"x")
    await shell.type("copy flash:later.bin flash:other.bin", "")
    assert "tftp-server flash:later.bin\n" in await shell.type(
        "show telephony-service tftp-bindings")


async def test_copy_between_flash_and_configurations(shell, router):
    await shell.paste_config("hostname LAB")
    out = await shell.type("copy running-config flash:backup.cfg", "")
    assert "Destination filename [backup.cfg]? " in out and "bytes copied in" in out
    assert b"hostname LAB" in router.storage.read_flash("backup.cfg")
    out = await shell.type("copy startup-config flash:s.cfg")
    assert "%Error opening nvram:startup-config (No such file or directory)" in out
    out = await shell.type("copy flash:backup.cfg startup-config", "")
    assert "[OK]" in out and "hostname LAB" in router.startup_config()
    router.storage.write_flash("merge.cfg", b"hostname MERGED\n")
    out = await shell.type("copy flash:merge.cfg running-config", "")
    assert router.hostname == "MERGED"
    out = await shell.type("copy flash:nope.cfg flash:x", "")
    assert "%Error opening flash:nope.cfg (No such file or directory)" in out
    out = await shell.type("copy flash:merge.cfg flash:merge.cfg", "", "n")
    assert "%Warning:There is a file already existing with this name" in out
    out = await shell.type("copy flash:merge.cfg flash:../escape", "")
    assert "%Error opening flash:../escape (Invalid argument)" in out
    _ = session_ca  # the CA is session-wide; nothing to clean


@pytest.mark.parametrize("tp", TPS)
async def test_ctl_signature_breaks_when_tampered(shell, router, tp):
    await type_nsa(shell, sections="3")
    data = bytearray(router.storage.read_flash("CTLFile.tlv"))
    data[-1] ^= 1
    with pytest.raises(VerificationError):
        verify_ctl(parse_ctl(bytes(data)))
    record = next(r for r in parse_ctl(router.storage.read_flash("CTLFile.tlv")).records
                  if r.certificate == cert_der(router, tp))
    assert record.serial_number == serial_int(record.serial)


async def test_unsigned_cnf_without_credentials_and_sgn_checks(shell, router):
    out = await shell.paste_config("telephony-service\n ip source-address 10.0.0.1\n"
                                   "ephone 1\n mac-address 0011.2233.4455\n"
                                   "telephony-service\n create cnf-files\n")
    assert rejected(out) == []
    table = published(router)
    assert table.get("SEP001122334455.cnf.xml") is not None
    assert table.get("SEP001122334455.cnf.xml.sgn") is None
    cfg = parse_cnf_xml(table.get("SEP001122334455.cnf.xml"))
    assert cfg.device_security_mode == 1 and cfg.capf_servers == []
    # a signed file cannot verify against a different key
    await type_nsa(shell)
    sgn = parse_sgn(published(router).get(SEP1 + ".sgn"))
    with pytest.raises(VerificationError):
        verify_sgn(sgn, session_ca().cert)
