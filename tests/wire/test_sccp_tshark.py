"""Cross-check the SCCP encoder with Wireshark: a scripted registration and call between a
phone and a server SccpConnection is written to a pcap and run through
tests/tools/validate_sccp_pcap.py, which fails on malformed packets and expert errors.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from cucme_lab.wire import sccp
from cucme_lab.wire.sccp import Role, SccpConnection

VALIDATOR = Path(__file__).resolve().parents[1] / "tools" / "validate_sccp_pcap.py"

pytestmark = pytest.mark.skipif(
    shutil.which("tshark") is None,
    reason="tshark is not installed (apt-get install -y tshark); the Wireshark cross-check "
    "needs it",
)


def _load_pcap_writer() -> Callable[..., None]:
    # By path, so it works whether or not tests/ becomes a package.
    name = "sccp_test_pcap_writer"
    path = Path(__file__).with_name("pcap_writer.py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module.write_pcap  # type: ignore[no-any-return]


write_pcap = _load_pcap_writer()

# tshark 4.0 labels where they differ from our class names (§3.1 plus the unprobed ones).
TSHARK_LABELS: dict[type[sccp.SccpMessage], str] = {
    sccp.KeepAlive: "KeepAliveReq",
    sccp.Register: "RegisterReq",
    sccp.Unregister: "UnregisterReq",
    sccp.ForwardStat: "ForwardStatRes",
    sccp.SpeedDialStat: "SpeedDialStatRes",
    sccp.LineStat: "LineStatRes",
    sccp.ConfigStat: "ConfigStatRes",
    sccp.DefineTimeDate: "TimeDateRes",
    sccp.ButtonTemplate: "ButtonTemplateRes",
    sccp.Version: "VersionRes",
}


def tshark_label(cls: type[sccp.SccpMessage]) -> str:
    return TSHARK_LABELS.get(cls, cls.__name__)


@dataclass
class Conversation:
    """Both ends of one SCCP connection; every frame is checked by the receiving end."""

    phone: SccpConnection
    server: SccpConnection
    segments: list[tuple[bool, bytes]] = field(default_factory=list)
    sent: list[tuple[sccp.SccpMessage, int]] = field(default_factory=list)

    def _send(self, from_phone: bool, messages: tuple[sccp.SccpMessage, ...], split: bool) -> None:
        sender, receiver = (self.phone, self.server) if from_phone else (self.server, self.phone)
        frames = []
        for message in messages:
            frame = sender.send(message)
            self.sent.append((message, int.from_bytes(frame[4:8], "little")))
            receiver.feed(frame)
            # What this version can carry (StopTone has no tone below V11, for example).
            expressible = sccp.decode_message(
                message.message_id, message.encode(sender.version), sender.version
            )
            assert receiver.next_event() == expressible
            frames.append(frame)
        data = b"".join(frames)  # several frames in one segment, as the probe did
        if split:  # and one frame cut across two segments
            self.segments += [(from_phone, data[:17]), (from_phone, data[17:])]
        else:
            self.segments.append((from_phone, data))

    def p2s(self, *messages: sccp.SccpMessage, split: bool = False) -> None:
        self._send(True, messages, split)

    def s2p(self, *messages: sccp.SccpMessage, split: bool = False) -> None:
        self._send(False, messages, split)


def registration_and_call(phone_max: int, server_max: int) -> Conversation:
    """§5 registration, then §6 call flow, then unregister: every message in the catalogue."""
    conv = Conversation(
        SccpConnection(Role.PHONE, max_version=phone_max),
        SccpConnection(Role.SERVER, max_version=server_max),
    )
    phone_ip, router_ip = IPv4Address("127.0.0.2"), IPv4Address("127.0.0.1")
    conv.p2s(
        sccp.Register(
            device_name="SEP001122334455",
            station_ip=phone_ip,
            device_type=sccp.DeviceType.CISCO_7960,
            protocol_ver=phone_max,
            phone_features=0x8090,
            mac_address=bytes.fromhex("001122334455"),
            max_number_of_lines=2,
            firmware_load_name="SCCP41.9-4-2SR3-1S",
        )
    )
    version = conv.server.agreed_version
    conv.s2p(sccp.RegisterAck.for_version(version, date_template="M/D/YA"), sccp.CapabilitiesReq())
    caps = (
        sccp.Capability(sccp.MediaPayload.G711_ULAW_64K, 40),
        sccp.Capability(sccp.MediaPayload.G723_1, 40, 2),
    )
    conv.p2s(sccp.CapabilitiesRes(caps), sccp.IpPort(20000), sccp.HeadsetStatus(2))
    conv.p2s(sccp.ButtonTemplateReq())
    line, speed = sccp.ButtonType.LINE, sccp.ButtonType.SPEED_DIAL
    buttons = (
        sccp.ButtonDefinition(1, line),
        sccp.ButtonDefinition(2, line),
        sccp.ButtonDefinition(1, speed),
    )
    conv.s2p(sccp.ButtonTemplate(0, 3, 3, buttons))
    conv.p2s(sccp.SoftKeyTemplateReq())
    keys = (
        sccp.SoftKeyDefinition("Redial", 1),
        sccp.SoftKeyDefinition("NewCall", 2),
        sccp.SoftKeyDefinition("\x80\x09", 9),
    )
    conv.s2p(sccp.SoftKeyTemplateRes(0, 3, 3, keys))
    conv.p2s(sccp.SoftKeySetReq())
    sets = (sccp.SoftKeySetDefinition((1, 2), (301, 302)), sccp.SoftKeySetDefinition((9,), (309,)))
    conv.s2p(sccp.SoftKeySetRes(0, 2, 2, sets))
    conv.p2s(sccp.LineStatReq(1))
    conv.s2p(sccp.LineStat(1, "1001", "Alice", "Alice 1001"))
    conv.p2s(sccp.ForwardStatReq(1))
    conv.s2p(sccp.ForwardStat(line_number=1, forward_busy_active=1, forward_busy_number="1099"))
    conv.p2s(sccp.SpeedDialStatReq(1))
    conv.s2p(sccp.SpeedDialStat(1, "1002", "Bob"))
    conv.p2s(sccp.ConfigStatReq(), sccp.VersionReq(), sccp.ServerReq())
    conv.s2p(
        sccp.ConfigStat("SEP001122334455", 0, 1, "alice", "CUCME", 2, 1),
        sccp.Version("CME-12.6"),
        sccp.ServerRes(("CUCME",), (2000,), (router_ip,)),
    )
    conv.p2s(sccp.RegisterAvailableLines(2), sccp.TimeDateReq())
    conv.s2p(
        sccp.DefineTimeDate.at(datetime(2024, 3, 10, 14, 5, 6, tzinfo=UTC)),
        sccp.SelectSoftKeys(0, 0, sccp.SoftKeySetIndex.ON_HOOK),
        sccp.SetLamp(sccp.StimulusType.VOICE_MAIL, 0, sccp.LampMode.OFF),
        sccp.DisplayPromptStatus(0, "Your current options"),
        sccp.DisplayNotify(10, "Welcome"),
    )
    conv.p2s(sccp.KeepAlive(), sccp.Alarm(2, "Name=SEP001122334455 Load=SCCP41", 0, 0))
    conv.s2p(sccp.KeepAliveAck())

    # §6: line 1001 calls 1002 (call reference 0x5001), then hangs up.
    cr = 0x5001
    conv.p2s(sccp.OffHook(1, 0))
    conv.s2p(
        sccp.SetSpeakerMode(sccp.SpeakerMode.ON),
        sccp.CallState(sccp.CallStateCode.OFF_HOOK, 1, cr),
        sccp.SelectSoftKeys(1, cr, sccp.SoftKeySetIndex.OFF_HOOK),
        sccp.ActivateCallPlane(1),
        sccp.DisplayPromptStatus(0, "\x80\x20", 1, cr),
        sccp.StartTone(sccp.Tone.INSIDE_DIAL, 0, 1, cr),
    )
    conv.p2s(sccp.KeypadButton(1, 1, cr))
    conv.s2p(
        sccp.StopTone(1, cr, sccp.Tone.INSIDE_DIAL),
        sccp.SelectSoftKeys(1, cr, sccp.SoftKeySetIndex.DIGITS_FOLLOWING),
    )
    conv.p2s(
        sccp.KeypadButton(0),
        sccp.EnblocCall("1002", 1),
        sccp.Stimulus(sccp.StimulusType.LINE, 1, cr, 0),
    )
    conv.s2p(
        sccp.CallState(sccp.CallStateCode.PROCEED, 1, cr),
        sccp.CallInfo(
            "Alice", "1001", "Bob", "1002", 1, cr, sccp.CallType.OUTBOUND, call_security_status=1
        ),
        sccp.DialedNumber("1002", 1, cr),
        sccp.CallState(sccp.CallStateCode.RING_OUT, 1, cr),
        sccp.SetRinger(sccp.RingMode.RING_OFF, 1, 1, cr),
        sccp.StartTone(sccp.Tone.ALERTING, 0, 1, cr),
        split=True,
    )
    conv.s2p(
        sccp.CallState(sccp.CallStateCode.CONNECTED, 1, cr),
        sccp.OpenReceiveChannel(
            conference_id=cr,
            pass_thru_party_id=0x100,
            call_reference=cr,
            source_ip=router_ip,
            source_port=2000,
        ),
    )
    conv.p2s(sccp.OpenReceiveChannelAck(0, phone_ip, 20000, 0x100, cr))
    conv.s2p(
        sccp.StartMediaTransmission(cr, 0x100, IPv4Address("127.0.0.3"), 20002, call_reference=cr),
        sccp.SetMicroMode(1),
        sccp.DisplayText("Connected"),
        sccp.DisplayPriNotify(5, 1, "\x80\x18"),
    )
    conv.p2s(
        sccp.HookFlash(1, cr),
        sccp.SoftKeyEvent(sccp.SoftKeyEventType.END_CALL, 1, cr),
        sccp.OnHook(1, cr),
    )
    conv.s2p(
        sccp.CloseReceiveChannel(cr, 0x100, cr),
        sccp.StopMediaTransmission(cr, 0x100, cr),
        sccp.CallState(sccp.CallStateCode.ON_HOOK, 1, cr),
        sccp.SelectSoftKeys(0, 0, sccp.SoftKeySetIndex.ON_HOOK),
        sccp.SetLamp(sccp.StimulusType.LINE, 1, sccp.LampMode.OFF),
        sccp.ClearPromptStatus(1, cr),
        sccp.DeactivateCallPlane(),
        sccp.ClearDisplay(),
        sccp.ClearNotify(),
        sccp.ClearPriNotify(1),
        sccp.SetSpeakerMode(sccp.SpeakerMode.OFF),
    )
    conv.p2s(sccp.Unregister(0))
    conv.s2p(sccp.UnregisterAck(0), sccp.Reset(sccp.ResetType.RESTART))
    return conv


def rejected_registration() -> Conversation:
    conv = Conversation(SccpConnection(Role.PHONE), SccpConnection(Role.SERVER))
    conv.p2s(sccp.Register.basic("SEP00AABBCCDDEE", device_type=sccp.DeviceType.CISCO_7940))
    conv.s2p(sccp.RegisterReject("Unknown device SEP00AABBCCDDEE"))
    return conv


LINE = re.compile(r"^#(\d+) (\d+)->(\d+) v(0x[0-9a-f]+) (\S+) \((\d+)\)  ?(.*)$")


def validate(conv: Conversation, path: Path) -> list[tuple[str, int, str]]:
    """Run the validator (strict: warnings fail too); return (label, headerVersion, fields)."""
    write_pcap(path, conv.segments)
    result = subprocess.run(
        [sys.executable, str(VALIDATOR), "-s", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: no malformed packets or expert errors" in result.stderr
    decoded = []
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        assert match, line
        decoded.append((match[5], int(match[4], 16), match[7]))
    return decoded


@pytest.mark.parametrize(
    ("phone_max", "server_max", "agreed"),
    [
        (20, 17, 17),
        (0, 17, 0),
        (11, 17, 11),
        (15, 22, 15),
        (16, 22, 16),
        (18, 22, 18),
        (22, 22, 22),
    ],
)
def test_wireshark_decodes_full_exchange(
    phone_max: int, server_max: int, agreed: int, tmp_path: Path
) -> None:
    conv = registration_and_call(phone_max, server_max)
    assert conv.phone.version == conv.server.version == agreed
    decoded = validate(conv, tmp_path / f"sccp-v{agreed}.pcap")
    expected = [(tshark_label(type(m)), header) for m, header in conv.sent]
    assert [(label, header) for label, header, _ in decoded] == expected
    sent_types = {type(m) for m, _ in conv.sent} | {sccp.RegisterReject}
    assert sent_types == set(sccp.ALL_MESSAGES)  # with the rejected phone below: all of them
    fields = dict((label, text) for label, _, text in decoded)
    assert f"protoVer={phone_max}" in fields["RegisterReq"]
    assert f"maxProtoVer={agreed}" in fields["RegisterAck"]
    assert "dn=1001" in fields["LineStatRes"]
    assert "remoteIp=127.0.0.3" in fields["StartMediaTransmission"]
    assert "ip=127.0.0.2" in fields["OpenReceiveChannelAck"]
    assert "callRef=20481" in fields["OpenReceiveChannelAck"]


def test_wireshark_decodes_rejected_registration(tmp_path: Path) -> None:
    decoded = validate(rejected_registration(), tmp_path / "sccp-reject.pcap")
    assert [(label, header) for label, header, _ in decoded] == [
        ("RegisterReq", 0),
        ("RegisterReject", 0),
    ]
    assert "name=SEP00AABBCCDDEE" in decoded[0][2]
    assert "text=Unknown device SEP00AABBCCDDEE" in decoded[1][2]
