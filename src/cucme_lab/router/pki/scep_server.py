"""The CA's SCEP endpoint (`/cgi-bin/pkiclient.exe`), sans I/O: one HTTP request in, one reply out.

Operations (RFC 8894 section 4): GetCACaps, GetCACert, PKIOperation (PKCSReq/RenewalReq,
CertPoll alias GetCertInitial, GetCert, GetCRL) by GET or POST, and GetCRL as a plain GET, which
is the CRL distribution point the CA writes into its certificates. A request that cannot be read
gets an HTTP error; one that can be read but not honoured gets a SCEP CertRep FAILURE. Every
refusal is logged (`log` lines below are not confirmed IOS texts: IOS logs little here, and these
are for the trainee to see why).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding

from cucme_lab.router.pki.ca import CaError, CertificateServer, ca_for_request
from cucme_lab.router.router import Router
from cucme_lab.wire import scep
from cucme_lab.wire.scep import ScepError

SCEP_PATH = "/cgi-bin/pkiclient.exe"
MAX_MESSAGE = 64 * 1024


@dataclass
class Reply:
    status: int
    content_type: str = "text/plain"
    body: bytes = b""


def _text(status: int, text: str) -> Reply:
    return Reply(status, "text/plain", text.encode() + b"\n")


def handle(router: Router, method: str, query: str, body: bytes, peer: str) -> Reply:
    """Answer one request for the SCEP path; `peer` is the client's configured address."""
    try:
        params = parse_qs(query, keep_blank_values=True, max_num_fields=8)
    except ValueError:
        return _refuse(router, peer, 400, "malformed query string")
    operation = (params.get("operation") or [""])[0]
    message = (params.get("message") or [""])[0]
    if operation == "GetCACaps":
        return Reply(200, "text/plain", ("\n".join(scep.CA_CAPS) + "\n").encode())
    ca = ca_for_request(router, message or None)
    if operation not in ("GetCACert", "GetCRL", "PKIOperation", "GetNextCACert"):
        return _refuse(router, peer, 400, f"unknown SCEP operation {operation[:40]!r}")
    if ca is None or not ca.running:
        return _refuse(router, peer, 503, "no certificate server is running")
    if operation == "GetCACert":
        cert = ca.ca_certificate()
        assert cert is not None
        return Reply(200, "application/x-x509-ca-cert", cert.public_bytes(Encoding.DER))
    if operation == "GetNextCACert":
        return _refuse(router, peer, 404, "no rollover CA certificate")
    if operation == "GetCRL":
        return Reply(200, "application/pkix-crl", ca.crl().public_bytes(Encoding.DER))
    if method == "POST":
        data = body
    elif method == "GET":
        try:
            data = base64.b64decode(message, validate=False)
        except (binascii.Error, ValueError):
            return _refuse(router, peer, 400, "PKIOperation message is not base64")
    else:
        return _refuse(router, peer, 405, f"method {method} not allowed")
    if not data or len(data) > MAX_MESSAGE:
        return _refuse(router, peer, 400, "PKIOperation message is empty or too long")
    return pki_operation(router, ca, data, peer)


def _refuse(router: Router, peer: str, status: int, reason: str) -> Reply:
    router.log.log(f"%PKI-4-SCEP_REQUEST: SCEP request from {peer} refused: {reason}")
    return _text(status, reason)


def pki_operation(router: Router, ca: CertificateServer, data: bytes, peer: str) -> Reply:
    try:
        msg = scep.parse(data)
    except ScepError as exc:
        return _refuse(router, peer, 400, f"bad pkiMessage: {exc}")
    try:
        ca_cert, ca_key = ca.require_ca()
    except CaError as exc:
        return _refuse(router, peer, 503, str(exc))
    try:
        reply_attrs, content = _operation(router, ca, msg, ca_key)
    except ScepError as exc:
        kind = scep.MESSAGE_TYPES.get(msg.message_type, msg.message_type)
        router.log.log(f"%PKI-4-SCEP_REQUEST: SCEP {kind} from {peer} failed: {exc}")
        reply_attrs, content = scep.Attributes(
            scep.CERT_REP, msg.transaction_id, scep.new_nonce(), msg.attributes.sender_nonce,
            scep.FAILURE, exc.fail_info), None
    except CaError as exc:
        router.log.log(f"%PKI-4-SCEP_REQUEST: SCEP request from {peer} failed: {exc}")
        reply_attrs, content = scep.Attributes(
            scep.CERT_REP, msg.transaction_id, scep.new_nonce(), msg.attributes.sender_nonce,
            scep.FAILURE, scep.BAD_REQUEST), None
    reply = scep.sign(reply_attrs, content, ca_cert, ca_key, msg.digest)
    return Reply(200, "application/x-pki-message", reply)


def _operation(router: Router, ca: CertificateServer, msg: scep.PkiMessage, ca_key
               ) -> tuple[scep.Attributes, bytes | None]:
    if msg.content is None:
        raise ScepError("the pkiMessage has no content")
    inner, cipher = scep.decrypt(msg.content, ca_key)
    kind = msg.message_type

    def reply(status: int, payload: bytes | None = None, fail: int | None = None
              ) -> tuple[scep.Attributes, bytes | None]:
        attrs = scep.Attributes(scep.CERT_REP, msg.transaction_id, scep.new_nonce(),
                                msg.attributes.sender_nonce, status, fail)
        content = scep.envelope(payload, msg.signer, cipher) if payload is not None else None
        return attrs, content

    if kind in (scep.PKCS_REQ, scep.RENEWAL_REQ):
        req = ca.find_request(msg.transaction_id)
        if req is None:
            try:
                csr = x509.load_der_x509_csr(inner)
                # Read now what issuing reads (cryptography parses lazily): a subject with a
                # string type it does not know raised KeyError out of the CA (an HTTP 500).
                csr.subject, csr.public_key(), csr.extensions  # noqa: B018
                signed = csr.is_signature_valid
            except (ValueError, KeyError, TypeError, UnsupportedAlgorithm,
                    x509.DuplicateExtension, x509.UnsupportedGeneralNameType):
                raise ScepError("the request is not a PKCS#10 CSR") from None
            if not signed:
                raise ScepError("the PKCS#10 signature does not verify", scep.BAD_MESSAGE_CHECK)
            req = ca.submit(csr, msg.transaction_id, msg.signer, cipher, msg.digest)
        return _by_state(req, reply)
    if kind == scep.CERT_POLL:
        scep.read_issuer_and_subject(inner)
        req = ca.find_request(msg.transaction_id)
        if req is None:
            raise ScepError("no request with this transaction ID", scep.BAD_CERT_ID)
        return _by_state(req, reply)
    if kind == scep.GET_CERT:
        _, serial = scep.read_issuer_and_serial(inner)
        found = [c for c in ca.issued_certificates() if c.serial_number == serial]
        found += [r.certificate for r in ca.requests().requests
                  if r.certificate is not None and r.certificate.serial_number == serial]
        if not found:
            raise ScepError(f"no certificate with serial {serial:X}", scep.BAD_CERT_ID)
        return reply(scep.SUCCESS, scep.degenerate([found[0]]))
    if kind == scep.GET_CRL:
        scep.read_issuer_and_serial(inner)
        return reply(scep.SUCCESS, scep.degenerate(crls=[ca.crl()]))
    raise ScepError(f"message type {kind} is not a request")


def _by_state(req, reply):
    if req.state == "granted":
        return reply(scep.SUCCESS, scep.degenerate([req.certificate]))
    if req.state == "rejected":
        return reply(scep.FAILURE, fail=scep.BAD_REQUEST)
    return reply(scep.PENDING)
