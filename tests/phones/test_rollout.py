"""The NSA guide's procedures on the default lab, end to end on real sockets."""

from __future__ import annotations

import subprocess

import trio
from cryptography.hazmat.primitives import serialization
from phone_steps import key_in_strings_until_secure, registered, type_lines, until
from procedures import appendix_b, appendix_c


async def test_default_lab_phones_register_non_secure(runtime):
    for phone in runtime.phones:
        await until(phone, registered)
        assert phone.security == "non-secure"
    out = await type_lines(runtime.router, ["enable", "show ephone registered"])
    assert out.count("REGISTERED") == 4


async def test_appendix_b_brings_all_four_phones_to_encrypted_with_lscs(runtime, tmp_path):
    for phone in runtime.phones:
        await until(phone, registered)
    out = await type_lines(runtime.router, appendix_b())
    assert "% Invalid" not in out and "% Incomplete" not in out, out
    await key_in_strings_until_secure(runtime, ["encrypted"] * 4)
    ca = runtime.router.keystore  # the CA's certificate is in its trustpoint's chain
    from cucme_lab.router.pki.credentials import ca_certificates

    ca_cert = ca_certificates(runtime.router, "CAServer")[0]
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for phone in runtime.phones:
        cert, _key = phone.storage.lsc
        assert cert.issuer == ca_cert.subject and cert.public_key().key_size == 1024
        (tmp_path / "lsc.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        verdict = subprocess.run(["openssl", "verify", "-CAfile", str(tmp_path / "ca.pem"),
                                  str(tmp_path / "lsc.pem")], capture_output=True, text=True)
        assert verdict.returncode == 0
    assert ca is runtime.router.keystore
    out = await type_lines(runtime.router, ["enable", "show ephone registered"])
    assert out.count("+ Authentication + Encryption") == 4
    # the pending operations are gone from running-config once done, as the guide says
    assert "cert-oper" not in runtime.router.running_config()


async def test_appendix_c_mixes_modes_and_applies_templates(runtime):
    for phone in runtime.phones:
        await until(phone, registered)
    out = await type_lines(runtime.router, appendix_c())
    assert "% Invalid" not in out and "% Incomplete" not in out, out
    await key_in_strings_until_secure(
        runtime, ["encrypted", "authenticated", "encrypted", "encrypted"])
    first, *others = runtime.phones
    assert first.applied.settings_access == "enabled"
    assert all(p.applied.settings_access == "disabled" for p in others)
    for phone in runtime.phones:
        assert phone.applied.web_access == "disabled" and not phone.web.open
        assert phone.applied.pc_port == "disabled" and phone.applied.garp == "disabled"
        assert phone.applied.speaker == "disabled" and phone.applied.headset == "disabled"
    # the phone's web page really closed: nothing answers on its address any more
    host = first.network.local_address
    port = first.network.listen_port(80)
    with trio.fail_after(5):
        try:
            stream = await trio.open_tcp_stream(host, port)
        except OSError:
            pass
        else:
            await stream.aclose()
            raise AssertionError("the phone's web page is still open")
