"""The CTL client: `regenerate` builds `CTLFile.tlv` (spec §2) from the `ctl-client` block.

Records, in this order: SAST1, SAST2, then one per `server` line sorted by role code (as the
reference builder orders the fixture: SAST, SAST, CCM+TFTP, CAPF). The header is signed by
SAST1 with SHA-1. The file is written to flash and published on TFTP only when every part is
there: a missing SAST2, a trustpoint without a certificate or SAST1 without its key writes
nothing and says which. `regenerate` reads the certificates the trustpoints hold *now*; a
certificate re-enrolled later stays out of the CTL until the next `regenerate`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from cryptography import x509

from cucme_lab.router.pki import credentials as creds
from cucme_lab.router.provisioning.config import CtlClientBlock, CtlFunction, RemoteCme, ctl_client
from cucme_lab.router.provisioning.tftp_table import CTL_FILENAME, TftpEntry
from cucme_lab.router.router import Router
from cucme_lab.router.storage import atomic_write
from cucme_lab.router.telephony.settings import telephony_service
from cucme_lab.wire.ctl import CtlRecord, Role, build_ctl
from cucme_lab.wire.signed_header import HashAlgorithm

DEBUG_FLAG = "ctl-client"

# `server <function>` -> CTL role. `application` is APP-SERVER (7).
ROLE_OF = {CtlFunction.CME: Role.CCM, CtlFunction.CME_TFTP: Role.CCM_TFTP,
           CtlFunction.TFTP: Role.TFTP, CtlFunction.CAPF: Role.CAPF,
           CtlFunction.APPLICATION: Role.APP_SERVER}
# Certificates added with `import certificate` go in as CCM records: the role CME gives them
# is not documented [U].
IMPORT_ROLE = Role.CCM


class CtlError(Exception):
    """Why no CTL file was written; the text follows `% CTL file generation failed: `."""


@dataclass
class CtlResult:
    data: bytes
    records: list[CtlRecord]
    trace: list[str] = field(default_factory=list)


def _certificate(router: Router, tp: str) -> x509.Certificate:
    if creds.trustpoint(router, tp) is None:
        raise CtlError(f"trustpoint {tp} does not exist")
    cert = creds.certificate(router, tp)
    if cert is None:
        raise CtlError(f"trustpoint {tp} has no valid certificate")
    return cert


def build(router: Router, sec: CtlClientBlock) -> CtlResult:
    """Build the CTL bytes from the `ctl-client` block, or raise CtlError (nothing written)."""
    trace = ["ctl_client_create_ctlfile:"]
    sast1, sast2 = sec.sast1, sec.sast2
    if sast1 is None:
        raise CtlError("SAST1 trustpoint is not configured")
    if sast2 is None:
        raise CtlError("SAST2 trustpoint is not configured")
    try:
        signer = creds.credentials(router, sast1)
    except creds.MissingCredentials as exc:
        raise CtlError(str(exc).replace("has no certificate", "has no valid certificate")
                       ) from None
    sast2_cert = _certificate(router, sast2)
    if sast2_cert == signer.certificate:
        raise CtlError("SAST1 and SAST2 must use different certificates")

    wanted: list[tuple[int, str, str | None, x509.Certificate]] = [
        (Role.SAST, sast1, None, signer.certificate), (Role.SAST, sast2, None, sast2_cert)]
    servers = []
    for s in sec.servers.values():
        if isinstance(s, RemoteCme):
            # A remote CME's certificate comes from its CTL provider (port 2444); not fetched
            # by this lab yet, so it is left out and said so in the trace.
            trace.append(f"create_ctl_record: remote CME {s.addr} skipped")
            continue
        servers.append((ROLE_OF[s.function], s.trustpoint, str(s.addr),
                        _certificate(router, s.trustpoint)))
    for imported in sec.imports.values():
        data = router.storage.read_flash(imported.file)
        if data is None:
            raise CtlError(f"cannot read {imported.file}")
        try:
            cert = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                    else x509.load_der_x509_certificate(data))
        except (ValueError, x509.InvalidVersion):
            raise CtlError(f"{imported.file} is not a certificate") from None
        servers.append((IMPORT_ROLE, imported.description, None, cert))
    servers.sort(key=lambda item: item[0])

    records = []
    for role, tp, addr, cert in wanted + servers:
        trace.append(f"create_ctl_record: Function {int(role)} Trustpoint {tp}")
        record = CtlRecord.from_certificate(cert, role, ip_address=addr)
        if addr is not None:
            # The issue asks server records to carry their certificate's hash: SHA-1 of the
            # DER in tag 11, algorithm 1 in tag 12. Reference tools only parse these tags
            # (spec §2.1, §6.5), so the exact Cisco encoding is an assumption.
            record = replace(record, certificate_hash=hashlib.sha1(record.certificate).digest(),
                             hash_algorithm=HashAlgorithm.SHA1)
        records.append(record)
        trace.append(f"create_ctl_record: record added for function {int(role)}")
    when = int(router.clock.now_utc().timestamp())
    data = build_ctl(records, signer.certificate, signer.private_key, CTL_FILENAME,
                     HashAlgorithm.SHA1, timestamp=when)
    trace.append(f"ctl_client_create_ctlfile: Signature length {signer.private_key.key_size // 8}")
    trace.append("CTL File Created Successfully")
    return CtlResult(data, records, trace)


def regenerate(router: Router) -> str | None:
    """`regenerate`: build, write flash:CTLFile.tlv, publish; returns an error text or None."""
    sec = ctl_client(router.config)
    if sec is None:
        return None
    debug = router.debug.on(DEBUG_FLAG)
    try:
        result = build(router, sec)
    except CtlError as exc:
        if debug:
            router.debug.emit(DEBUG_FLAG, "ctl_client_create_ctlfile:")
            router.debug.emit(DEBUG_FLAG, f"ctl_client_create_ctlfile: {exc}")
        return f"% CTL file generation failed: {exc}"
    path = router.storage.flash_path(CTL_FILENAME)
    atomic_write(path, result.data)
    router.provisioning.publish(
        "ctl", [TftpEntry(CTL_FILENAME, result.data, f"flash:{CTL_FILENAME}")])
    for line in result.trace:
        router.debug.emit(DEBUG_FLAG, line)
    ts = telephony_service(router.config)
    if ts is not None:
        # Spec 6.2 [C]: after regenerate the CTL client sets server-security-mode secure.
        ts.server_security_mode = "secure"
    return None
