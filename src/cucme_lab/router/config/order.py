"""Canonical order of lines and blocks in `show running-config`, per section kind.

IOS prints configuration in the order of its internal parse chains, whatever order it was typed
in. Each table lists setting keys (matched by the longest key prefix) and child section kinds.
Unlisted keys sort after listed ones, in the order they were first set.
"""

from __future__ import annotations

from functools import lru_cache

ORDER: dict[str, list[str]] = {
    "root": [
        "version", "service timestamps debug", "service timestamps log",
        "service password-encryption", "service sequence-numbers",
        "hostname", "boot-start-marker", "boot-end-marker",
        "logging buffered", "logging console", "logging monitor",
        "enable secret level", "enable secret", "enable password",
        "aaa new-model", "aaa group server",
        "aaa authentication login", "aaa authentication enable",
        "aaa authorization exec",
        "aaa accounting exec", "aaa accounting commands", "aaa session-id",
        "clock timezone", "clock summer-time",
        "dot11", "ip cef", "ip domain lookup", "ip domain name", "ip name-server",
        "ip inspect name",
        "multilink", "voice-card",
        "crypto pki server", "crypto pki trustpoint", "crypto pki certificate chain",
        "voice service voip", "voice class codec",
        "username",
        "archive",
        "ip ssh",
        "interface",
        "ip forward-protocol", "ip route", "ip http server", "ip http port", "ip http access-class",
        "ip http authentication", "ip http secure-server", "ip http secure-port",
        "ip http max-connections", "ip http timeout-policy",
        "ip tacacs source-interface",
        "ip radius source-interface",
        "access-list",
        "tftp-server",
        "cdp run",
        "snmp-server community", "snmp-server location", "snmp-server contact",
        "tacacs-server host", "tacacs-server timeout", "tacacs-server key",
        "radius-server host", "radius-server timeout", "radius-server retransmit",
        "radius-server key", "radius server",
        "control-plane",
        "voice-port",
        "dial-control-mib",
        "dial-peer cor custom", "dial-peer cor list", "dial-peer voice",
        "gw-accounting",
        "ctl-client", "capf-server", "credentials",
        "telephony-service", "ephone-template", "ephone-dn", "ephone",
        "privilege exec",
        "line con", "line aux", "line vty",
        "ntp authentication-key", "ntp authenticate", "ntp trusted-key", "ntp clock-period",
        "ntp source", "ntp server",
    ],
    "telephony-service": [
        "secure-signaling", "max-ephones", "max-dn", "ip source-address",
        "auto-reg-ephone", "auto assign", "keepalive",
        "service phone", "cnf-file location", "cnf-file", "dialplan-pattern",
        "tftp-server-credentials", "server-security-mode", "device-security-mode",
        "load", "load-cfg-file", "max-conferences", "web admin", "after-hours block pattern",
        "after-hours day", "after-hours date", "after-hours override-code", "create cnf-files",
    ],
    "ephone-template": ["service phone"],
    "ephone-dn": ["number", "name", "call-forward busy", "call-forward noan", "call-forward all",
                  "cor incoming", "cor outgoing"],
    "ephone": ["capf-ip-in-cnf", "device-security-mode", "capf-auth-str", "cert-oper",
               "mac-address", "ephone-template", "codec", "type", "mtp", "after-hour exempt",
               "button"],
    "interface": ["description", "switchport voice vlan", "switchport access vlan",
                  "switchport mode", "ip address", "ip access-group in", "ip access-group out",
                  "ip inspect", "encapsulation", "shutdown", "frame-relay map",
                  "frame-relay inverse-arp", "frame-relay intf-type", "no cdp enable", "duplex",
                  "speed"],
    "line": ["session-timeout", "exec-timeout", "timeout login response", "privilege level",
             "password",
             "authorization exec", "accounting exec",
             "logging",
             "login", "transport input", "access-class"],
    "crypto pki server": ["mode", "database level", "database archive", "issuer-name", "grant",
                          "lifetime crl", "lifetime certificate", "lifetime ca-certificate",
                          "lifetime enrollment-request", "database url", "shutdown"],
    "crypto pki trustpoint": ["enrollment mode", "enrollment", "serial-number", "ip-address",
                              "password", "subject-name", "revocation-check", "rsakeypair"],
    "ctl-client": ["server", "sast1", "sast2", "import certificate"],
    "capf-server": ["port", "auth-mode", "cert-enroll-trustpoint", "trustpoint-label",
                    "source-addr", "phone-key-size", "keygen-retry", "keygen-timeout",
                    "cert-oper"],
    "voice service voip": ["allow-connections", "srtp", "supplementary-service", "h323", "sip"],
    "h323": ["session transport", "h245 tunnel", "h245 caps", "h225 timeout", "emptycapability"],
    "dial-peer voice": ["description", "corlist incoming", "corlist outgoing",
                        "preference", "destination-pattern", "session target", "port",
                        "digit-strip", "forward-digits",
                        "prefix", "max-conn", "srtp"],
    "dial-peer cor custom": ["name"],
    "dial-peer cor list": ["member"],
    "access-list": ["entry"],
    "credentials": ["ip source-address", "trustpoint", "ctl-service"],
    "radius server": ["address ipv4", "timeout", "retransmit", "key"],
    "aaa group server": ["server", "ip tacacs source-interface", "ip radius source-interface"],
}


@lru_cache(maxsize=4096)
def rank_of(kind: str, key: str) -> tuple[int, int]:
    """Position of a key (or child kind) in its section: (table index, 0) or after the table."""
    table = ORDER.get(kind, [])
    best, best_len = len(table), -1
    for i, prefix in enumerate(table):
        if (key == prefix or key.startswith(prefix + " ")) and len(prefix) > best_len:
            best, best_len = i, len(prefix)
    return (best, 0)


# Top-level settings that IOS prints together, with no `!` between them.
ROOT_GROUPS: dict[str, str] = {
    "version": "head", "service": "head",
    "boot-start-marker": "boot", "boot-end-marker": "boot",
    "logging": "logging",
    "enable": "enable",
    "aaa": "aaa",
    "clock": "clock",
    "dot11": "ip-misc", "ip cef": "ip-misc", "ip domain": "ip-misc", "ip name-server": "ip-misc",
    "ip inspect": "ip-misc", "multilink": "multilink",
    "username": "username",
    "ip ssh": "ip-ssh",
    "ip forward-protocol": "ip-global", "ip route": "ip-global", "ip http": "ip-global",
    "ip tacacs": "ip-global",
    "ip radius": "ip-global",
    "radius-server": "radius",
    "access-list": "access-list",
    "tftp-server": "tftp-server",
    "cdp": "cdp",
    "snmp-server": "snmp",
    "tacacs-server": "tacacs",
    "dial-control-mib": "dial-control-mib",
    "gw-accounting": "gw-accounting",
    "privilege": "privilege",
    "ntp": "ntp",
}


def group_of(key: str) -> str:
    best, best_len = key, -1
    for prefix, group in ROOT_GROUPS.items():
        if (key == prefix or key.startswith(prefix + " ")) and len(prefix) > best_len:
            best, best_len = group, len(prefix)
    return best
