"""The CLI modes: prompt suffix, parent mode and `?` header of each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    name: str
    prompt: str  # what follows the hostname, before `#`
    parent: str | None
    header: str
    raw: bool = False  # lines are data (certificate hex), not commands


MODES: dict[str, Mode] = {}


def _mode(name: str, prompt: str, parent: str | None, header: str, raw: bool = False) -> None:
    MODES[name] = Mode(name, prompt, parent, header, raw)


_mode("exec", "", None, "Exec commands:")
_mode("config", "(config)", "exec", "Configure commands:")
_mode("config-if", "(config-if)", "config", "Interface configuration commands:")
_mode("config-subif", "(config-subif)", "config", "Interface configuration commands:")
_mode("config-line", "(config-line)", "config", "Line configuration commands:")
_mode("config-telephony", "(config-telephony)", "config",
      "Cisco Unified CME configuration commands:")
_mode("config-ephone", "(config-ephone)", "config", "Ephone configuration commands:")
_mode("config-ephone-dn", "(config-ephone-dn)", "config", "Ephone DN configuration commands:")
_mode("config-ephone-template", "(config-ephone-template)", "config",
      "Ephone template configuration commands:")
_mode("cs-server", "(cs-server)", "config", "Certificate server configuration commands:")
_mode("ca-trustpoint", "(ca-trustpoint)", "config", "CA trustpoint configuration commands:")
_mode("config-cert-chain", "(config-cert-chain)", "config",
      "Certificate chain configuration commands:")
_mode("config-pubkey", "(config-pubkey)", "config-cert-chain", "", raw=True)
_mode("config-ctl-client", "(config-ctl-client)", "config", "CTL client configuration commands:")
_mode("config-capf-server", "(config-capf-server)", "config",
      "CAPF server configuration commands:")
_mode("config-credentials", "(config-credentials)", "config",
      "Credentials configuration commands:")
_mode("config-dial-peer", "(config-dial-peer)", "config", "Dial-peer configuration commands:")
_mode("config-dp-corcustom", "(config-dp-corcustom)", "config",
      "Dial-peer cor custom configuration commands:")
_mode("config-dp-corlist", "(config-dp-corlist)", "config",
      "Dial-peer cor list configuration commands:")
_mode("config-voiceport", "(config-voiceport)", "config", "Voice configuration commands:")
_mode("conf-voi-serv", "(conf-voi-serv)", "config", "Voice service configuration commands:")
_mode("conf-serv-h323", "(conf-serv-h323)", "conf-voi-serv", "H323 configuration commands:")
_mode("conf-serv-sip", "(conf-serv-sip)", "conf-voi-serv", "SIP configuration commands:")
_mode("config-std-nacl", "(config-std-nacl)", "config",
      "Standard Access List configuration commands:")
_mode("config-ext-nacl", "(config-ext-nacl)", "config",
      "Ext Access List configuration commands:")
_mode("config-cp", "(config-cp)", "config", "Control Plane configuration commands:")
_mode("config-radius-server", "(config-radius-server)", "config",
      "Radius server configuration commands:")  # [M]
_mode("config-sg-tacacs+", "(config-sg-tacacs+)", "config",
      "Server-group configuration commands:")  # [M]
_mode("config-sg-radius", "(config-sg-radius)", "config",
      "Server-group configuration commands:")  # [M]

CONFIG_MODES = frozenset(m for m in MODES if m != "exec")
