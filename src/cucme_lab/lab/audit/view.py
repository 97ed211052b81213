"""What the checks read: the router's typed configuration and its live state, looked up once.

Every value comes from a typed attribute of the configuration model (never a setting by its
key) or from the router's runtime state (registrations, flash).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from cucme_lab.router.capf.config import CapfServerBlock, capf_server
from cucme_lab.router.config.interfaces import Interface, interfaces
from cucme_lab.router.config.root import RootConfig
from cucme_lab.router.pki.config import (
    CertificateServerSection,
    TrustpointSection,
    certificate_servers,
    trustpoints,
)
from cucme_lab.router.provisioning.config import CtlClientBlock, ctl_client
from cucme_lab.router.provisioning.tftp_table import CTL_FILENAME
from cucme_lab.router.router import Router
from cucme_lab.router.telephony.registrations import Registration
from cucme_lab.router.telephony.settings import (
    Ephone,
    SecurityMode,
    TelephonyService,
    effective_security_mode,
    effective_service_phone,
    ephones,
    telephony_service,
)
from cucme_lab.router.telephony.voice_config import DialPeer, dial_peers
from cucme_lab.wire.ctl import CtlFormatError, parse_ctl


@dataclass
class AuditView:
    router: Router

    @property
    def config(self) -> RootConfig:
        return self.router.config

    @cached_property
    def telephony(self) -> TelephonyService | None:
        return telephony_service(self.config)

    @cached_property
    def ephones(self) -> list[Ephone]:
        return ephones(self.config)

    def mode(self, ep: Ephone) -> SecurityMode:
        return effective_security_mode(self.config, ep, self.telephony)

    def service_phone(self, ep: Ephone) -> dict[str, str]:
        """The phone's effective `service phone` values; they depend only on its template,
        so they are worked out once per template (a fleet shares a few)."""
        cache = self._by_template
        if ep.template not in cache:
            cache[ep.template] = effective_service_phone(self.config, ep)
        return cache[ep.template]

    @cached_property
    def _by_template(self) -> dict[int | None, dict[str, str]]:
        return {}

    @cached_property
    def interfaces(self) -> list[Interface]:
        return interfaces(self.config)

    @cached_property
    def pstn_peers(self) -> list[DialPeer]:
        """The pots dial-peers that route calls (a destination-pattern): PSTN access."""
        return [p for p in dial_peers(self.config)
                if p.peer_type == "pots" and p.destination_pattern]

    @cached_property
    def capf(self) -> CapfServerBlock | None:
        return capf_server(self.config)

    @cached_property
    def ctl(self) -> CtlClientBlock | None:
        return ctl_client(self.config)

    @cached_property
    def trustpoints(self) -> dict[str, TrustpointSection]:
        return {tp.name: tp for tp in trustpoints(self.config)}

    @cached_property
    def ca_servers(self) -> list[CertificateServerSection]:
        return certificate_servers(self.config)

    @cached_property
    def secure(self) -> bool:
        """Is phone security configured at all (any ephone, or the global mode, not none)?"""
        ts = self.telephony
        if ts is not None and ts.device_security_mode is not SecurityMode.NONE:
            return True
        return any(self.mode(ep) is not SecurityMode.NONE for ep in self.ephones)

    @cached_property
    def rollout_in_progress(self) -> bool:
        """A certificate operation still waits for a phone (a `cert-oper` line is pending)."""
        if self.capf is not None and self.capf.cert_oper is not None:
            return True
        return any(ep.cert_oper is not None for ep in self.ephones)

    @cached_property
    def registrations(self) -> dict[int, Registration]:
        return dict(self.router.phones.registrations)

    @cached_property
    def ctl_on_flash(self) -> bool:
        return self.router.storage.flash_path(CTL_FILENAME).is_file()

    @cached_property
    def ctl_certificates(self) -> set[bytes]:
        """The certificates (DER) the CTL file on flash lists; none when it does not parse."""
        data = self.router.storage.read_flash(CTL_FILENAME)
        try:
            return {r.certificate for r in parse_ctl(data).records} if data else set()
        except (CtlFormatError, ValueError):
            return set()
