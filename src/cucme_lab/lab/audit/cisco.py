"""Checks of the Cisco chapter's recommendations ("Cisco Unified CallManager Express Security
Best Practices"), one per recommendation the typed model holds the configuration of;
docs/audit.md lists them all.
"""

from __future__ import annotations

from collections.abc import Iterator

from cucme_lab.lab.audit.findings import CISCO, Check, Finding, place
from cucme_lab.lab.audit.view import AuditView
from cucme_lab.router.access import transports
from cucme_lab.router.access_config import LoginMode, VtyLines, vty_blocks
from cucme_lab.router.config.logging import Severity
from cucme_lab.router.config.system import HttpAuthentication

# `public`, `private` and the like: the strings an attacker tries first
WELL_KNOWN_COMMUNITIES = {"public", "private", "read", "write", "cisco", "secret"}
# %IPPHONE-6-REGISTER, -6-UNREGISTER_NORMAL...: phone registration events are informational
REGISTRATION_SEVERITY = Severity.INFORMATIONAL


def _http_on(v: AuditView) -> bool:
    return v.config.http_server or v.config.http_secure_server


def _http_authentication(check: Check, v: AuditView) -> Iterator[Finding]:
    if _http_on(v) and v.config.http_auth_method is HttpAuthentication.ENABLE:
        yield check.finding(["username admin privilege 15 secret PASSWORD",
                             "ip http authentication local"])


def _http_access_class(check: Check, v: AuditView) -> Iterator[Finding]:
    if _http_on(v) and v.config.http_access_class is None:
        yield check.finding(["access-list 10 permit ADMIN-SUBNET WILDCARD",
                             "ip http access-class 10"])


def _http_clear_text(check: Check, v: AuditView) -> Iterator[Finding]:
    if v.config.http_server and not v.config.http_secure_server:
        yield check.finding(["crypto key generate rsa usage 1024", "ip http secure-server"])


def _enable_password(check: Check, v: AuditView) -> Iterator[Finding]:
    for level in sorted(v.config.enable_passwords):
        suffix = "" if level == 15 else f" level {level}"
        yield check.finding([f"enable secret{suffix} SECRET", f"no enable password{suffix}"],
                            what=str(level), title="`enable password` is used"
                            + ("" if level == 15 else f" (level {level})"))


def _enable_secret(check: Check, v: AuditView) -> Iterator[Finding]:
    if 15 not in v.config.enable_secrets and 15 not in v.config.enable_passwords:
        yield check.finding(["enable secret SECRET"])


def _password_encryption(check: Check, v: AuditView) -> Iterator[Finding]:
    if not v.config.password_encryption:
        yield check.finding(["service password-encryption"])


def _vty_name(sec: VtyLines) -> str:
    return f"{sec.first} {sec.last}" if sec.last != sec.first else str(sec.first)


def _vty_id(sec: VtyLines) -> str:
    return f"vty{sec.first}-{sec.last}"


def _vty_access_class(check: Check, v: AuditView) -> Iterator[Finding]:
    for sec in vty_blocks(v.config):
        if sec.access_class_in is None:
            yield check.finding(["access-list 10 permit ADMIN-SUBNET WILDCARD",
                                 f"line vty {_vty_name(sec)}", " access-class 10 in"],
                                what=_vty_id(sec),
                                title=f"line vty {_vty_name(sec)} has no `access-class in`")


def _vty_telnet(check: Check, v: AuditView) -> Iterator[Finding]:
    for sec in vty_blocks(v.config):
        if "telnet" in transports(sec):
            yield check.finding(["crypto key generate rsa", f"line vty {_vty_name(sec)}",
                                 " transport input ssh"], what=_vty_id(sec),
                                title=f"line vty {_vty_name(sec)} accepts telnet")


def _vty_login(check: Check, v: AuditView) -> Iterator[Finding]:
    lists = v.config.aaa_login_lists
    for sec in vty_blocks(v.config):
        if v.config.aaa_new_model:
            methods = lists.get(sec.login_authentication or "default", ())
            ok = any(m in ("local", "local-case") for m in methods)
        else:
            ok = sec.login is LoginMode.LOCAL
        if not ok:
            yield check.finding(["username NAME privilege 15 secret PASSWORD",
                                 f"line vty {_vty_name(sec)}", " login local"],
                                what=_vty_id(sec),
                                title=f"line vty {_vty_name(sec)} has no local user login")


def _aaa(check: Check, v: AuditView) -> Iterator[Finding]:
    if not v.config.aaa_new_model:
        yield check.finding(["aaa new-model",
                             "aaa authentication login default group tacacs+ local",
                             "aaa authentication enable default group tacacs+ enable",
                             "tacacs-server host A.B.C.D", "tacacs-server key KEY"])


def _aaa_accounting(check: Check, v: AuditView) -> Iterator[Finding]:
    c = v.config
    if not c.aaa_new_model:
        return  # `aaa-not-used` says it
    missing = [(kind, fix) for kind, lists, fix in (
        ("exec", c.accounting_exec.values(),
         "aaa accounting exec default start-stop group tacacs+"),
        ("command", c.accounting_commands.values(),
         "aaa accounting commands 15 default start-stop group tacacs+"))
        if not any(acct.record != "none" for acct in lists)]
    if missing:
        yield check.finding([fix for _, fix in missing],
                            title=f"no {' or '.join(kind for kind, _ in missing)} accounting")


def _snmp_acl(check: Check, v: AuditView) -> Iterator[Finding]:
    for name, community in v.config.snmp_communities.items():
        if community.acl is None:
            yield check.finding(["access-list 10 permit ADMIN-SUBNET WILDCARD",
                                 f"snmp-server community {name} {community.access} 10"],
                                what=place(name),
                                title=f"SNMP community {name} ({community.access}) has no "
                                      "access list")


def _snmp_well_known(check: Check, v: AuditView) -> Iterator[Finding]:
    for name, community in v.config.snmp_communities.items():
        if name.lower() in WELL_KNOWN_COMMUNITIES:
            yield check.finding([f"no snmp-server community {name}",
                                 f"snmp-server community NEW-STRING {community.access} 10"],
                                what=place(name),
                                title=f"SNMP community `{name}` is a well-known string")


def _cdp(check: Check, v: AuditView) -> Iterator[Finding]:
    # CDP runs unless `no cdp run`; `no cdp enable` on every interface silences it too
    if v.config.cdp_run and any(i.cdp_enable for i in v.interfaces):
        yield check.finding(["no cdp run"])


def _dial_peer_cor(check: Check, v: AuditView) -> Iterator[Finding]:
    for peer in v.pstn_peers:
        if peer.corlist_outgoing is None:
            yield check.finding([f"dial-peer voice {peer.tag} pots",
                                 " corlist outgoing LIST"], what=str(peer.tag),
                                title=f"PSTN dial-peer {peer.tag} "
                                      f"({peer.destination_pattern}) has no outgoing COR list")


def _after_hours(check: Check, v: AuditView) -> Iterator[Finding]:
    ts = v.telephony
    if not v.pstn_peers or ts is None:
        return
    patterns = ts.after_hours_patterns.values()
    # a pattern without 7-24 blocks only inside a window a `day` or `date` entry defines
    blocks = any(p.all_week for p in patterns) or (
        bool(patterns) and bool(ts.after_hours_days or ts.after_hours_dates))
    if not blocks:
        yield check.finding(["telephony-service", " after-hours block pattern 1 9011 7-24",
                             " after-hours block pattern 2 91900",
                             " after-hours day Sun 19:00 07:00"])


def _strict_match(check: Check, v: AuditView) -> Iterator[Finding]:
    ts = v.telephony
    if ts is not None and ts.source is not None and not ts.strict_match:
        yield check.finding(["telephony-service",
                             f" ip source-address {ts.source_address} port {ts.port} "
                             "strict-match"])


def _auto_registration(check: Check, v: AuditView) -> Iterator[Finding]:
    ts = v.telephony
    if ts is not None and ts.auto_reg_ephone:
        yield check.finding(["telephony-service", " no auto-reg-ephone"])


def _logging(check: Check, v: AuditView) -> Iterator[Finding]:
    c = v.config
    buffered = c.buffer.enabled and c.buffer.threshold >= REGISTRATION_SEVERITY
    remote = bool(c.logging_hosts) and c.trap >= REGISTRATION_SEVERITY
    if not buffered and not remote:
        yield check.finding(["logging buffered informational", "logging A.B.C.D",
                             "logging trap informational"])


def _call_history(check: Check, v: AuditView) -> Iterator[Finding]:
    if "syslog" not in v.config.gw_accounting:
        yield check.finding(["dial-control-mib retain-timer 10080",
                             "dial-control-mib max-size 500", "gw-accounting syslog"])


def _ntp(check: Check, v: AuditView) -> Iterator[Finding]:
    if v.secure and not v.config.ntp_servers:
        yield check.finding(["ntp server A.B.C.D"])


def _mtp(check: Check, v: AuditView) -> Iterator[Finding]:
    for ep in v.ephones:
        if ep.mtp:
            yield check.finding([f"ephone {ep.tag}", " no mtp"], what=str(ep.tag),
                                title=f"ephone {ep.tag} sends its media through MTP")


CHECKS: list[Check] = [
    Check("http-authentication-enable", "high", CISCO, "Securing GUI Access",
          "the HTTP server authenticates with the enable password",
          "`ip http authentication enable` (the default) lets anyone who knows or shares the "
          "enable password reach level 15 over HTTP: a phone user whose password matches can "
          "change the configuration, erase flash or reload the router.",
          _http_authentication),
    Check("http-no-access-class", "medium", CISCO,
          "Using HTTPS for Cisco Unified CME GUI Management",
          "the HTTP server has no `ip http access-class`",
          "Without an access class every host that reaches the router can open the GUI, the "
          "IOS CA's SCEP pages and the enrolment port (the NSA guide, 3.1, also suggests ACLs "
          "on port 80).", _http_access_class),
    Check("http-clear-text", "low", CISCO, "Using HTTPS for Cisco Unified CME GUI Management",
          "the GUI is served over HTTP only",
          "`ip http secure-server` keeps administrators' passwords from crossing the network "
          "in clear text; phones still need the plain HTTP server.", _http_clear_text),
    Check("enable-password", "high", CISCO, "Enabling Secret and Encrypt Passwords",
          "`enable password` is used instead of `enable secret`",
          "The enable password is stored in clear text (or reversible type 7); `enable "
          "secret` stores a one-way hash.", _enable_password),
    Check("enable-secret-missing", "medium", CISCO, "Enabling Secret and Encrypt Passwords",
          "no `enable secret`",
          "Without an enable secret privileged EXEC is protected by nothing stronger than the "
          "line it is reached from.", _enable_secret),
    Check("password-encryption-off", "low", CISCO, "Enabling Secret and Encrypt Passwords",
          "`service password-encryption` is off",
          "Line, user and CAPF passwords appear in clear text in the configuration, to anyone "
          "who reads it or captures it on the network.", _password_encryption),
    Check("vty-no-access-class", "medium", CISCO, "Restrict Access to VTY",
          "vty lines take connections from anywhere",
          "An `access-class` on the vty lines allows only the administrators' hosts to open "
          "a remote session to the router.", _vty_access_class),
    Check("vty-telnet", "high", CISCO, "Configuring SSH Access",
          "telnet is allowed on vty lines",
          "Telnet carries passwords and the whole session in clear text; `transport input "
          "ssh` allows only SSH.", _vty_telnet),
    Check("vty-no-local-login", "medium", CISCO,
          "Configuring Local User Authentication When AAA Is Not Available",
          "vty login without user names",
          "\"You should always require login-based authentication of users, even when the "
          "external AAA server is unreachable\": a shared line password names nobody.",
          _vty_login),
    Check("aaa-not-used", "low", CISCO, "Using AAA to Secure Access",
          "no AAA (`aaa new-model`)",
          "An authentication server validates each administrator and, with accounting, keeps "
          "a record of the commands each typed.", _aaa),
    Check("aaa-no-accounting", "low", CISCO, "Configuring Accounting and Auditing on AAA",
          "no exec or command accounting",
          "Accounting records who logged in when and who typed which command: without it a "
          "change to the configuration cannot be traced to an administrator.",
          _aaa_accounting),
    Check("snmp-community-no-acl", "high", CISCO, "Using ACLs for SNMP Access",
          "an SNMP community without an access list",
          "Any host that guesses the community can read (or, with RW, change) the router.",
          _snmp_acl),
    Check("snmp-community-well-known", "high", CISCO, "Using ACLs for SNMP Access",
          "an SNMP community with a well-known string",
          "`public`, `private`, `read` and `write` are the first strings an attacker tries.",
          _snmp_well_known),
    Check("cdp-enabled", "low", CISCO, "Disabling Cisco Discovery Protocol",
          "CDP runs", "CDP advertises the router, its software and addresses to every "
          "neighbour, in an untrusted domain too.", _cdp),
    Check("pstn-dial-peer-no-cor", "high", CISCO,
          "Configuring COR for Incoming and Outgoing Calls",
          "a PSTN dial-peer without an outgoing COR list",
          "Any phone can then call international, 900 and 1900 numbers: toll fraud.",
          _dial_peer_cor),
    Check("pstn-no-after-hours-block", "medium", CISCO,
          "Restricting Outgoing Calling Patterns",
          "PSTN access without after-hours blocking",
          "After-hours block patterns stop calls to fraudulent area codes at all times or "
          "out of hours.", _after_hours),
    Check("sccp-no-strict-match", "medium", CISCO, "IP Phone Registration Control",
          "phones may register from any subnet (no `strict-match`)",
          "With `strict-match` only phones on the source address's own subnet (the trusted "
          "local segment) can register and get telephony service.", _strict_match),
    Check("auto-registration-on", "medium", CISCO, "IP Phone Registration Control",
          "unknown phones may auto-register",
          "With auto-registration any phone that reaches port 2000 takes an ephone slot; "
          "`no auto-reg-ephone` allows only phones configured with their MAC address.",
          _auto_registration),
    Check("logging-off", "low", CISCO, "Monitoring IP Phone Registration",
          "registration events are not logged",
          "Without buffered or remote syslog at level informational nobody sees phones "
          "registering or failing to.", _logging),
    Check("call-history-off", "low", CISCO,
          "Call Activity Monitoring and Call History Logging",
          "no call history logging (`gw-accounting syslog`)",
          "Call records are what toll fraud is traced with.", _call_history),
    Check("ntp-missing", "low", CISCO, "Secure SCCP Signaling via TLS (step 1)",
          "phone security without NTP",
          "Certificates are judged by the router's clock: a clock set by hand drifts or is "
          "lost at reload, and then certificates appear expired or not yet valid.", _ntp),
    Check("mtp-configured", "low", CISCO, "Remote Phones with Public IP Addresses",
          "a phone's media goes through MTP",
          "\"Unless MTP is required for your implementation, we recommend that you do not use "
          "it\": MTP makes the router relay the phone's media.", _mtp),
]
