"""cnf.xml build/parse against tests/data/phone-security/SEP001122334455.cnf.xml (spec §5)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cucme_lab.wire.cnf_xml import (
    GARP_DISABLED,
    SCCP_TLS_PORT,
    SETTINGS_ACCESS_RESTRICTED,
    WEB_ACCESS_DISABLED,
    CallManager,
    CapfAuthMode,
    CapfServer,
    CnfFormatError,
    DeviceConfig,
    DeviceSecurityMode,
    TransportLayerProtocol,
    TvsServer,
    VendorConfig,
    build_cnf_xml,
    cnf_filename,
    parse_cnf_xml,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "phone-security"
FIXTURE = (FIXTURES / "SEP001122334455.cnf.xml").read_bytes()

EXPECTED = DeviceConfig(
    device_protocol="SCCP",
    ssh_user_id="",
    call_managers=[CallManager("1.2.3.4", priority=0, ethernet_phone_port=2000)],
    device_security_mode=DeviceSecurityMode.ENCRYPTED,
    capf_auth_mode=CapfAuthMode.NULL_STRING,
    capf_servers=[CapfServer("1.2.3.4", phone_port=3804)],
    vendor_config=VendorConfig(
        web_access=WEB_ACCESS_DISABLED, settings_access=SETTINGS_ACCESS_RESTRICTED
    ),
)


def canonical(data: bytes) -> str:
    return ET.canonicalize(data.decode("utf-8"), strip_text=True)


def test_parse_fixture() -> None:
    config = parse_cnf_xml(FIXTURE)
    assert config == EXPECTED
    assert config.secure and config.capf_operation_pending
    assert config.registration_port(config.call_managers[0]) == SCCP_TLS_PORT == 2443


def test_build_matches_fixture() -> None:
    built = build_cnf_xml(EXPECTED)
    assert canonical(built) == canonical(FIXTURE)
    # Byte-identical except that the fixture writes <capfList> on one line.
    flat = FIXTURE.replace(
        b"<capfList><capf><phonePort>3804</phonePort><processNodeName>1.2.3.4</processNodeName>"
        b"</capf></capfList>",
        b"<capfList>\n    <capf>\n      <phonePort>3804</phonePort>\n"
        b"      <processNodeName>1.2.3.4</processNodeName>\n    </capf>\n  </capfList>",
    )
    assert built == flat


def test_full_config_round_trips() -> None:
    config = DeviceConfig(
        device_protocol="SIP",
        full_config=True,
        ssh_user_id="admin",
        ssh_password="s3cret",
        ip_address_mode=0,
        call_managers=[
            CallManager(
                "10.0.0.1", 0, ethernet_phone_port=2000, sip_port=5060, secured_sip_port=5061
            ),
            CallManager("10.0.0.2", 1, ethernet_phone_port=None, sip_port=5060),
        ],
        tvs_servers=[TvsServer("10.0.0.1", 2445, 0)],
        phone_password="1234",
        load_information="SCCP75.9-4-2SR3-1S",
        inactive_load_information="",
        authentication_url="http://10.0.0.1/auth",
        secure_authentication_url="https://10.0.0.1/auth",
        version_stamp="1700000000-abc",
        transport_layer_protocol=TransportLayerProtocol.TLS,
        tls_resumption_timer=3600,
        device_security_mode=DeviceSecurityMode.AUTHENTICATED,
        capf_auth_mode=CapfAuthMode.AUTH_STRING,
        capf_servers=[CapfServer("10.0.0.1"), CapfServer("10.0.0.9", 3805)],
        cert_hash="",
        encr_config=False,
        vendor_config=VendorConfig(
            disable_speaker=False,
            disable_speaker_and_headset=True,
            forwarding_delay=1,
            garp=GARP_DISABLED,
            pc_port=1,
            span_to_pc_port=1,
            voice_vlan_access=1,
            web_access=0,
            web_protocol=1,
            settings_access=0,
            ssh_access=1,
            enable_cdp_sw_port=1,
            enable_cdp_pc_port=0,
            enable_lldp_sw_port=1,
            enable_lldp_pc_port=0,
            disable_tls_ciphers="1,2",
            tls12_only=1,
            extra={"backlightOnTime": "07:30"},
        ),
    )
    data = build_cnf_xml(config)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<device>\n')
    assert b"<disableSpeaker>false</disableSpeaker>" in data
    assert b"<garp>1</garp>" in data
    parsed = parse_cnf_xml(data)
    assert parsed == config
    assert parsed.registration_port(parsed.call_managers[0]) == 5061
    parsed.transport_layer_protocol = TransportLayerProtocol.TCP
    assert parsed.registration_port(parsed.call_managers[0]) == 5060


def test_registration_port_non_secure_sccp_uses_ethernet_phone_port() -> None:
    config = DeviceConfig(
        call_managers=[CallManager("1.2.3.4")],
        device_security_mode=DeviceSecurityMode.NON_SECURE,
    )
    assert config.registration_port(config.call_managers[0]) == 2000
    assert not config.capf_operation_pending


def test_capf_pending_needs_mode_and_server() -> None:
    config = DeviceConfig(capf_auth_mode=CapfAuthMode.NONE, capf_servers=[CapfServer("x")])
    assert not config.capf_operation_pending
    config.capf_auth_mode = CapfAuthMode.MIC
    assert config.capf_operation_pending
    config.capf_servers = []
    assert not config.capf_operation_pending


def test_absent_elements_are_none_and_unknown_ones_ignored() -> None:
    config = parse_cnf_xml(b"<device><foo>1</foo><vendorConfig><x>y</x></vendorConfig></device>")
    assert config.device_protocol is None and config.call_managers == []
    assert config.vendor_config == VendorConfig(extra={"x": "y"})


def test_unknown_enum_values_stay_ints() -> None:
    config = parse_cnf_xml(b"<device><transportLayerProtocol>4</transportLayerProtocol></device>")
    assert config.transport_layer_protocol == 4


def test_cnf_filename() -> None:
    assert cnf_filename("0011.2233.4455") == "SEP001122334455.cnf.xml"
    assert cnf_filename("00:11:22:33:44:aa", signed=True) == "SEP0011223344AA.cnf.xml.sgn"
    with pytest.raises(ValueError):
        cnf_filename("0011.2233")


def test_builder_limits() -> None:
    with pytest.raises(ValueError):
        build_cnf_xml(DeviceConfig(capf_servers=[CapfServer("x")] * 6))
    with pytest.raises(ValueError):
        build_cnf_xml(DeviceConfig(call_managers=[CallManager("x", priority=5)]))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<device>",
        b"<config/>",
        b"<device><deviceSecurityMode>three</deviceSecurityMode></device>",
        b"<device><encrConfig>yes</encrConfig></device>",
        b'<device><devicePool><callManagerGroup><members><member priority="x"/></members>'
        b"</callManagerGroup></devicePool></device>",
        b'<!DOCTYPE d [<!ENTITY a "aaaa">]><device>&a;</device>',
        b'<?xml version="1.0" encoding="nope"?><device/>',
        b"\xff\xfe<\x00d\x00",
    ],
)
def test_malformed_raise_cnf_format_error(data: bytes) -> None:
    with pytest.raises(CnfFormatError):
        parse_cnf_xml(data)


def _parse(data: bytes) -> None:
    try:
        assert isinstance(parse_cnf_xml(data), DeviceConfig)
    except CnfFormatError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_format_error(data: bytes) -> None:
    _parse(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(FIXTURE) - 1), st.integers(0, 255)), max_size=4),
    st.integers(0, len(FIXTURE)),
)
def test_mutated_fixture_raises_only_format_error(edits, cut: int) -> None:
    data = bytearray(FIXTURE)
    for offset, value in edits:
        data[offset] = value
    _parse(bytes(data))
    _parse(bytes(data[:cut]))


_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF), max_size=12)
_PORT = st.none() | st.integers(0, 65535)


@settings(max_examples=100, deadline=None)
@given(
    st.builds(
        DeviceConfig,
        device_protocol=st.sampled_from(["SCCP", "SIP"]),
        ssh_user_id=st.none() | _TEXT,
        call_managers=st.lists(
            st.builds(CallManager, _TEXT, st.integers(0, 4), _PORT, _PORT, _PORT), max_size=3
        ),
        device_security_mode=st.none() | st.sampled_from(list(DeviceSecurityMode)),
        capf_auth_mode=st.none() | st.sampled_from(list(CapfAuthMode)),
        capf_servers=st.lists(st.builds(CapfServer, _TEXT, _PORT), max_size=5),
        cert_hash=st.none() | _TEXT,
        encr_config=st.none() | st.booleans(),
        vendor_config=st.none()
        | st.builds(VendorConfig, garp=st.none() | st.integers(0, 1), web_access=_PORT),
    )
)
def test_generated_configs_round_trip(config: DeviceConfig) -> None:
    assert parse_cnf_xml(build_cnf_xml(config)) == config
