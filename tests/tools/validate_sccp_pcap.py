#!/usr/bin/env python3
"""validate_sccp_pcap.py - decode SCCP (Skinny) in a capture with Wireshark's tshark and
fail if the dissector reports malformed packets or expert errors.

usage: validate_sccp_pcap.py [-p PLAINPORT]... [-t TLSPORT]... [-s] [-q] PCAP [KEYLOG]
  PCAP     capture file (pcap/pcapng)
  KEYLOG   optional NSS key log (SSLKEYLOGFILE format) to decrypt SCCP-over-TLS
  -p PORT  extra TCP port carrying plain SCCP (2000 is already known to tshark)
  -t PORT  extra TCP port carrying SCCP over TLS (2443 is already known to tshark)
  -s       strict: expert *warnings* also fail the run
  -q       quiet: only print the summary / problems
exit: 0 ok; 1 malformed/expert error (or warning with -s); 2 no SCCP decoded;
      3 usage / tshark missing
Needs: tshark (Debian package 'tshark'; tested with 4.0.17).

Each decoded message is printed on stdout as
  #FRAME SRCPORT->DSTPORT vHEADERVERSION MESSAGE (ID)  label=value ...
and the summary and problems go to stderr. A Python port of the team's
validate-sccp-pcap.sh, with the same options, output and exit codes.
"""

from __future__ import annotations

import getopt
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

KEYS = [  # (pdml field name, label) printed when present in the message
    ("skinny.DeviceName", "name"), ("skinny.reserved.for.future.use", "userId"),
    ("skinny.instance", "instance"), ("skinny.stationIpAddr", "ip"),
    ("skinny.deviceType", "type"), ("skinny.maxStreams", "maxStreams"),
    ("skinny.activeStreams", "activeStreams"), ("skinny.protocolVer", "protoVer"),
    ("skinny.firmwareLoadName", "load"), ("skinny.keepAliveInterval", "keepalive"),
    ("skinny.dateTemplate", "dateTpl"), ("skinny.secondaryKeepAliveInterval", "keepalive2"),
    ("skinny.maxProtocolVer", "maxProtoVer"), ("skinny.text", "text"),
    ("skinny.resetType", "reset"), ("skinny.status", "status"),
    ("skinny.unRegReasonCode", "reason"), ("skinny.rtpMediaPort", "rtpPort"),
    ("skinny.kpButton", "key"), ("skinny.stimulus", "stimulus"),
    ("skinny.stimulusInstance", "stimInst"), ("skinny.lampMode", "lamp"),
    ("skinny.ringMode", "ring"), ("skinny.tone", "tone"), ("skinny.callState", "state"),
    ("skinny.softKeySetIndex", "softkeySet"), ("skinny.lineNumber", "line#"),
    ("skinny.lineDirNumber", "dn"), ("skinny.lineInstance", "line"),
    ("skinny.callReference", "callRef"), ("skinny.callingParty", "calling"),
    ("skinny.calledParty", "called"), ("skinny.callType", "callType"),
    ("skinny.callSecurityStatus", "security"), ("skinny.dialedNumber", "dialed"),
    ("skinny.promptStatus", "prompt"), ("skinny.notify", "notify"),
    ("skinny.conferenceId", "conf"), ("skinny.passThroughPartyId", "party"),
    ("skinny.compressionType", "codec"), ("skinny.milliSecondPacketSize", "ptime"),
    ("skinny.remoteIpAddr.ipv4", "remoteIp"), ("skinny.remotePortNumber", "remotePort"),
    ("skinny.ipAddr.ipv4", "ip"), ("skinny.portNumber", "port"),
    ("skinny.openReceiveChannelStatus", "orcStatus"), ("skinny.algorithmID", "srtpAlg"),
    ("skinny.keylen", "keylen"), ("skinny.saltlen", "saltlen"), ("skinny.capCount", "caps"),
    ("skinny.totalButtonCount", "buttons"), ("skinny.maxNumOfAvailLines", "availLines"),
    ("skinny.ServerName", "server"), ("skinny.wYear", "year"), ("skinny.systemTime", "epoch"),
    ("skinny.speakerMode", "speaker"), ("skinny.speedDialNumber", "sd#"),
    ("skinny.speedDialDirNumber", "sdNum"), ("skinny.speedDialDisplayName", "sdName"),
    ("skinny.lineFullyQualifiedDisplayName", "display"), ("skinny.lineTextLabel", "label"),
    ("skinny.serverTcpListenPort", "serverPort"), ("skinny.portHandlingFlag", "portHandling"),
    ("skinny.timeOutValue", "timeout"), ("skinny.priority", "priority"),
]
WANT = dict(KEYS)

OK, FAILED, NO_SCCP, USAGE = 0, 1, 2, 3


def usage_line() -> str:
    return f"usage: {sys.argv[0]} [-p port] [-t port] [-s] [-q] PCAP [KEYLOG]"


def val(field: ET.Element) -> str:
    """A field's value as the dissector shows it (after `Label: `)."""
    shown = field.get("showname") or ""
    value = shown.split(": ", 1)[1] if ": " in shown else field.get("show", "")
    return value.strip()


def summarize(pdml: Path, quiet: bool) -> int:
    """Print one line per decoded SCCP message; the number of messages decoded."""
    root = ET.parse(pdml).getroot()
    count = 0
    for pkt in root.iter("packet"):
        fnum, sport, dport = "?", "", ""
        for proto in pkt.iter("proto"):
            name = proto.get("name")
            if name == "frame":
                for f in proto.iter("field"):
                    if f.get("name") == "frame.number":
                        fnum = f.get("show")
            elif name == "tcp":
                for f in proto.iter("field"):
                    if f.get("name") == "tcp.srcport":
                        sport = f.get("show")
                    if f.get("name") == "tcp.dstport":
                        dport = f.get("show")
            elif name == "skinny":
                count += 1
                message, ver, out, seen = "?", "?", [], set()
                for f in proto.iter("field"):
                    fn = f.get("name")
                    if fn == "skinny.messageId":
                        message = val(f)
                    elif fn == "skinny.hdr_version":
                        ver = f.get("show")
                    elif fn in WANT and fn not in seen:
                        v = val(f)
                        if v != "":
                            out.append(f"{WANT[fn]}={v}")
                        seen.add(fn)
                if not quiet:
                    print(f"#{fnum} {sport}->{dport} v{ver} {message}  " + " ".join(out))
    sys.stdout.flush()
    return count


def problems(args: list[str], display_filter: str) -> list[str]:
    """Frame number, expert message and info column of each frame matching the filter."""
    result = subprocess.run(
        ["tshark", *args, "-Y", display_filter, "-T", "fields",
         "-e", "frame.number", "-e", "_ws.expert.message", "-e", "_ws.col.Info"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    text = result.stdout.decode("utf-8", "replace")
    return [line for line in text.splitlines() if line]


def main(argv: list[str]) -> int:
    try:
        opts, rest = getopt.getopt(argv, "p:t:sqh")
    except getopt.GetoptError as exc:
        print(f"{sys.argv[0]}: {exc}", file=sys.stderr)
        opts, rest = [("-h", "")], []
    plain_ports: list[str] = []
    tls_ports: list[str] = []
    strict = quiet = False
    for opt, value in opts:
        if opt == "-p":
            plain_ports.append(value)
        elif opt == "-t":
            tls_ports.append(value)
        elif opt == "-s":
            strict = True
        elif opt == "-q":
            quiet = True
        else:
            print(__doc__.split("\n\nEach decoded")[0].strip())
            return USAGE
    pcap = rest[0] if rest else ""
    keylog = rest[1] if len(rest) > 1 else ""
    if not pcap or not os.access(pcap, os.R_OK):
        print(usage_line(), file=sys.stderr)
        return USAGE
    if shutil.which("tshark") is None:
        print("tshark not installed (apt-get install -y tshark)", file=sys.stderr)
        return USAGE

    args = ["-n", "-r", pcap]
    for port in plain_ports:
        args += ["-d", f"tcp.port=={port},skinny"]
    for port in tls_ports:
        args += ["-d", f"tcp.port=={port},tls", "-d", f"tls.port=={port},skinny"]
    if keylog:
        if not os.access(keylog, os.R_OK):
            print(f"keylog not readable: {keylog}", file=sys.stderr)
            return USAGE
        args += ["-o", f"tls.keylog_file:{keylog}"]
    # reassemble SCCP PDUs that span TCP segments / TLS records (defaults, made explicit)
    args += ["-o", "skinny.desegment:TRUE", "-o", "tls.desegment_ssl_records:TRUE",
             "-o", "tls.desegment_ssl_application_data:TRUE"]

    with tempfile.TemporaryDirectory() as tmp:
        pdml = Path(tmp) / "sccp.pdml"
        with pdml.open("wb") as out:
            decode = subprocess.run(["tshark", *args, "-Y", "skinny", "-T", "pdml"],
                                    stdout=out, stderr=subprocess.PIPE, check=False)
        if decode.returncode != 0:
            sys.stderr.write(decode.stderr.decode("utf-8", "replace"))
            return USAGE
        errors = problems(args, "_ws.malformed || _ws.expert.severity == error")
        warnings = problems(args, "skinny && _ws.expert.severity == warning")
        try:
            count = summarize(pdml, quiet)
        except ET.ParseError as exc:  # no usable PDML: nothing was decoded
            print(f"cannot read tshark's PDML: {exc}", file=sys.stderr)
            count = 0
        else:
            print(f"SCCP messages decoded: {count}", file=sys.stderr)

    if errors:
        print(f"MALFORMED / EXPERT ERRORS in {len(errors)} frame(s):", file=sys.stderr)
        print("\n".join(errors), file=sys.stderr)
    if warnings:
        print(f"expert warnings in {len(warnings)} frame(s):", file=sys.stderr)
        print("\n".join(warnings), file=sys.stderr)
    if errors:
        return FAILED
    if strict and warnings:
        return FAILED
    if not count:
        print("no SCCP decoded (wrong port? TLS without keylog?)", file=sys.stderr)
        return NO_SCCP
    print("OK: no malformed packets or expert errors", file=sys.stderr)
    return OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
