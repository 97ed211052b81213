"""The CAPF server: TLS on `capf-server` port 3804, one sans-I/O CAPF session per phone.

The listener presents the `trustpoint-label` certificate. Each connection runs a
`CapfServerSession` over the TLS stream: the server speaks first, authenticates the phone as
`capf-server` and the ephone say, asks for a key, has the IOS CA issue the LSC, stores it on the
phone and ends with the protocol's reason. `debug capf-server` shows each step with the texts of
the Cisco command reference; a bad or silent peer ends its own session and no one else's.

Bounds (docs/robustness.md): the handshake must finish in HANDSHAKE_TIMEOUT, each message come
within IDLE_TIMEOUT, and the whole session end within SESSION_DEADLINE, which bytes dribbled
one at a time do not extend; beyond MAX_SESSIONS at once, new connections are reset.

In LSC and MIC modes the certificate a phone presents is judged by `router/capf/identity.py`
(chain, dates, revocation), after the session has checked that it names the device.
"""

from __future__ import annotations

import logging
import secrets

import trio
from cryptography.hazmat.primitives import serialization

from cucme_lab.netio import tls_contexts, tls_stream
from cucme_lab.router.capf import model
from cucme_lab.router.capf.identity import certificate_refusal
from cucme_lab.router.capf.lsc import IssueError, issue_lsc
from cucme_lab.router.pki.credentials import (
    MissingCredentials,
    ca_certificates,
    certificate,
    credentials,
)
from cucme_lab.router.provisioning.cnf import refresh_phone_files
from cucme_lab.router.telephony.settings import MAX_EPHONES, telephony_service
from cucme_lab.services import ingress
from cucme_lab.services.https_tls import ENCRYPTING_CIPHERS
from cucme_lab.services.manager import Binding
from cucme_lab.services.vty_listener import reset
from cucme_lab.wire import capf
from cucme_lab.wire.capf import ServerState

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 10.0
CAPF_CIPHERS = ENCRYPTING_CIPHERS  # phones offer encrypting suites to CAPF
IDLE_TIMEOUT = 60.0  # the phone may take a while to generate a 2048-bit key
# A whole session, handshake included: the lab's phone gives up on CAPF after 60 s itself
# (phones/phone.py), and the reference server's client has no limit at all.
SESSION_DEADLINE = 60.0
MAX_SESSIONS = MAX_EPHONES  # one session for every phone the router can hold
STATE_NAMES = {  # as `show capf-server sessions` prints them (spec 6.4)
    ServerState.IDLE: "IDLE",
    ServerState.AWAIT_AUTH: "AWAIT-AUTH-RES",
    ServerState.AWAIT_CHECK: "AWAIT-AUTH-RES",  # [U] still authenticating, seen from outside
    ServerState.AWAIT_KEY: "AWAIT-KEYGEN-RES",
    ServerState.AWAIT_ISSUE: "AWAIT-CA-RESP",
    ServerState.AWAIT_STORE: "AWAIT-STORE-CERT-RESP",
    ServerState.AWAIT_FETCH: "AWAIT-FETCH-CERT-RESP",
    ServerState.AWAIT_DELETE: "AWAIT-DELETE-CERT-RESP",
}


class CapfService:
    name = "capf"

    def __init__(self) -> None:
        self.active = 0  # sessions open now, over every binding of this service
        self.refused = 0  # connections reset because MAX_SESSIONS were open
        self._full_logged = False  # the limit's log line is written once per episode

    def wanted(self, lab) -> list[Binding]:
        cfg = model.capf_config(lab.router)
        if cfg is None or not cfg.trustpoint_label:
            return []
        ts = telephony_service(lab.router.config)
        address = cfg.source_address or (ts.source_address if ts is not None else None)
        if not address:
            return []
        cert = certificate(lab.router, cfg.trustpoint_label)
        # a new certificate for the trustpoint restarts the listener, which then presents it
        return [Binding("capf", address, cfg.listen_port, options=(
            ("trustpoint", cfg.trustpoint_label),
            ("certificate", cert.serial_number if cert is not None else None)))]

    async def serve(self, lab, binding: Binding, task_status) -> None:
        router = lab.router
        tp = binding.option("trustpoint")
        try:
            creds = credentials(router, tp)
        except MissingCredentials as exc:
            router.debug.emit("capf-server error", f"CAPF server cannot start: {exc}")
            router.log.log(f"%CAPF-3-NOCERT: CAPF server not started: {exc}")  # [U] text
            task_status.started()
            await trio.sleep_forever()
        # netio's lean TLS stream and pyOpenSSL, as SCCP on 2443: a fleet's enrolments are
        # handshakes first (docs/architecture.md)
        context = tls_contexts.server_context(creds.certificate, creds.private_key,
                                              client_cas=None, ciphers=CAPF_CIPHERS)
        host = lab.addresses.to_loopback(binding.configured_address)
        listener = tls_stream.listen(host, binding.configured_port)
        task_status.started(listener.getsockname()[:2])
        await tls_stream.serve(listener, ingress.filtered(
            lab, binding, lambda sock: self.connection(lab, sock, context)))

    async def connection(self, lab, sock, context) -> None:
        router = lab.router
        debug = router.debug
        if self.active >= MAX_SESSIONS:
            self.refused += 1
            if not self._full_logged:
                self._full_logged = True
                router.log.log(f"%CAPF-4-SESSION_LIMIT: {MAX_SESSIONS} CAPF sessions in "
                               "progress; new connections are refused")  # [U] text
            reset(sock)
            return
        self.active += 1
        debug.emit("capf-server events", "New Connection from phone, socket 1")
        stream = tls_stream.TlsStream(sock, context, server_side=True)
        try:
            with trio.move_on_after(SESSION_DEADLINE) as overall:
                debug.emit("capf-server events", "Created New Handshake Process")
                with trio.fail_after(HANDSHAKE_TIMEOUT):
                    await stream.do_handshake()
                debug.emit("capf-server events", "SSL Handshake Successful")
                await self.session(lab, stream)
            if overall.cancelled_caught:
                debug.emit("capf-server error", f"ephone_capf_release_session: session not "
                           f"finished within {SESSION_DEADLINE:g} seconds, closing")
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError,
                OSError) as exc:
            debug.emit("capf-server error", f"SSL Handshake Error {type(exc).__name__}")
        finally:
            self.active -= 1
            if self.active < MAX_SESSIONS:
                self._full_logged = False
            with trio.CancelScope(shield=True), trio.move_on_after(1):
                await stream.aclose()

    async def session(self, lab, stream: tls_stream.TlsStream) -> None:
        router = lab.router
        debug = router.debug
        cfg = model.capf_config(router)
        issuers = [c for tp in _trustpoint_names(router) for c in ca_certificates(router, tp)]
        session = capf.CapfServerSession(secrets.randbelow(2**32), model.ScheduledDevices(router),
                                         trusted_issuers=issuers, check_certificates=True)
        state = router.capf
        steps = [session.start()]
        debug.emit("capf-server messages", "ephone_capf_send_auth_req:")
        name = "?"
        try:
            while True:
                while steps:  # each step's bytes, then its events, whose answers come next
                    step = steps.pop(0)
                    if step.data:
                        debug.emit("capf-server messages",
                                   f"ephone_capf_ssl_write: {len(step.data)} bytes")
                        await stream.send_all(step.data)
                    for event in step.events:
                        if isinstance(event, capf.DeviceAuthenticated):
                            name = event.device_name
                        if isinstance(event, capf.CertificateCheckRequired):
                            reply = await self.check_certificate(lab, session, event, cfg)
                        else:
                            reply = self.on_event(lab, session, event, cfg)
                        if reply is not None:
                            steps.append(reply)
                if session.closed:
                    return
                if name != "?":
                    state.sessions[name] = STATE_NAMES.get(session.state, session.state.name)
                with trio.fail_after(IDLE_TIMEOUT):
                    data = await stream.receive_some(65536)
                debug.emit("capf-server messages", f"ephone_capf_ssl_read: Read {len(data)} bytes")
                steps.append(session.receive_data(data))
                if not data and not steps[-1].events:
                    return
        except trio.TooSlowError:
            debug.emit("capf-server error", f"ephone_capf_release_session: {name} timed out")
        finally:
            state.sessions.pop(name, None)
            debug.emit("capf-server events", f"ephone_capf_release_session: {name}")

    async def check_certificate(self, lab, session, event: capf.CertificateCheckRequired,
                                cfg) -> capf.CapfStep:
        """LSC or MIC mode: the presented certificate's chain, dates and revocation."""
        router = lab.router
        why = await certificate_refusal(router, cfg, event.auth_mode, event.certificate_der,
                                        lab.crl_source)
        if not why:
            return session.accept_certificate()
        router.debug.emit("capf-server error", f"ephone_capf_process_auth_res_msg: "
                          f"{event.device_name} certificate refused: {why}")
        return session.refuse_certificate(f"certificate refused: {why}")

    def _completed(self, router, device: str, operation: capf.Operation) -> None:
        """The operation is done: it leaves the configuration and the phone's file at once (a
        phone reset right after must not be told to run it again)."""
        model.complete_operation(router, device, operation)
        refresh_phone_files(router, [device])

    def on_event(self, lab, session, event, cfg) -> capf.CapfStep | None:
        router = lab.router
        debug = router.debug
        if isinstance(event, capf.DeviceAuthenticated):
            debug.emit("capf-server messages", f"ephone_capf_process_auth_res_msg: "
                       f"{event.device_name} AuthMode {int(session.device.auth_mode)}")
            if session.device.operation is capf.Operation.INSTALL:
                debug.emit("capf-server messages", f"ephone_capf_send_PhKeyGenReq_msg: "
                           f"{event.device_name} KeySize {session.device.key_size}")
            elif session.device.operation is capf.Operation.DELETE:
                debug.emit("capf-server messages",
                           f"ephone_capf_send_delete_cert_req_msg: {event.device_name}")
            return None
        if isinstance(event, capf.CertificateRequired):
            public_key = serialization.load_der_public_key(event.public_key_der)
            try:
                cert = issue_lsc(router, cfg.ca_trustpoint if cfg else None, public_key,
                                 event.device_name)
            except IssueError as exc:
                debug.emit("capf-server error", f"certificate enrollment failed for "
                           f"{event.device_name}: {exc}")
                router.log.log(f"%CAPF-3-ENROLL_FAIL: Certificate enrollment failed for "
                               f"{event.device_name}: {exc}")  # [U] text
                return session.decline_certificate(str(exc))
            der = cert.public_bytes(serialization.Encoding.DER)
            router.capf.certificates[event.device_name] = der
            debug.emit("capf-server messages",
                       f"ephone_capf_send_store_cert_req_msg: {event.device_name}")
            return session.issue_certificate(der)
        if isinstance(event, capf.CertificateStored):
            if event.accepted:
                self._completed(router, event.device_name, capf.Operation.INSTALL)
                debug.emit("capf-server events",
                           f"certificate install successful for {event.device_name}")
                router.log.log(f"%CAPF-6-CERT_INSTALLED: Certificate installed on "
                               f"{event.device_name}")  # [U] text
            return None
        if isinstance(event, capf.CertificateFetched):
            if event.certificate_der:
                router.capf.certificates[event.device_name] = \
                    event.certificate_der
                self._completed(router, event.device_name, capf.Operation.FETCH)
            debug.emit("capf-server events", f"certificate fetch "
                       f"{'successful' if event.certificate_der else 'failed'} for "
                       f"{event.device_name}")
            return None
        if isinstance(event, capf.CertificateDeleted):
            if event.deleted:
                router.capf.certificates.pop(event.device_name, None)
                self._completed(router, event.device_name, capf.Operation.DELETE)
            debug.emit("capf-server events", f"certificate delete "
                       f"{'successful' if event.deleted else 'failed'} for {event.device_name}")
            return None
        if isinstance(event, capf.SessionEnded):
            # [D] the CME command reference's `debug capf-server` capture names the phone
            device = session.device_name or "?"
            debug.emit("capf-server messages", f"ephone_capf_send_end_session_msg: {device}")
            if event.detail:  # why, in this lab's words [U]
                debug.emit("capf-server error", f"ephone_capf_send_end_session_msg: reason "
                           f"{int(event.reason)} {event.detail}")
            if event.reason == capf.Reason.INVALID_ELEMENT:
                hint = (" (auth-string generate in capf-server, or capf-auth-str in the ephone;"
                        " show capf-server auth-string lists them)"
                        if "no authentication string" in event.detail else "")
                router.log.log(f"%CAPF-3-AUTH_FAIL: CAPF session ended for a phone: "
                               f"{event.detail}{hint}")  # [U] text
            elif event.reason == capf.Reason.UNKNOWN_DEVICE:
                router.log.log(f"%CAPF-3-UNKNOWN_DEVICE: {event.detail}")  # [U] text
            return None
        if isinstance(event, capf.ProtocolFailure):
            debug.emit("capf-server error", f"CAPF protocol error: {event.detail}")
            log.info("CAPF protocol error: %s", event.detail)
        return None


def _trustpoint_names(router) -> list[str]:
    return [s.ident[0] for s in router.config.sections("crypto pki trustpoint")]
