"""PKI commands: RSA keys, the certificate server, trustpoints and certificate chains.

Lines parse, validate and render as IOS does; the state is the router's config tree plus its key
store (`router.pki.keystore`). The CA is `router.pki.ca` (database on storage, CRL, requests);
`crypto pki authenticate`/`enroll` talk SCEP to the enrolment URL over real sockets
(`cucme_lab.services.pki_client`), so they fail exactly when nothing answers there.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import itertools
import re
import time
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from cucme_lab.router import access as ra
from cucme_lab.router.pki import ca as ca_core
from cucme_lab.router.pki import config as pki_config
from cucme_lab.router.pki import credentials
from cucme_lab.router.pki import enrolment as enrol_core
from cucme_lab.router.pki.ca import (
    CaError,
    CertificateServer,
    dn_text,
    fingerprint,
    server_section,
)
from cucme_lab.router.pki.config import (
    CHAIN_KIND,
    SERVER_KIND,
    TRUSTPOINT_KIND,
    CertificateChainSection,
    CertificateServerSection,
    ChallengePassword,
    DatabaseLevel,
    Enrollment,
    EnrollmentMethod,
    GrantMode,
    KeyPair,
    RevocationMethod,
    SubjectAddress,
    TrustpointSection,
    hex_lines,
)
from cucme_lab.router.pki.credentials import key_label
from cucme_lab.router.pki.keystore import (
    MAX_MODULUS,
    MIN_MODULUS,
    USAGE_TEXT,
    KeyStore,
    keystore_of,
)
from cucme_lab.router.pki.validation import trace
from cucme_lab.router.router import Router
from cucme_lab.services import pki_client
from cucme_lab.shell.argtypes import ascii_number
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.parser import ParseError, tokenize
from cucme_lab.shell.session import Ctx, Session

DECLARED = CommandDeclarations()
command, setting, typed_setting = DECLARED.command, DECLARED.setting, DECLARED.typed_setting

CS = "cs-server"
TP = "ca-trustpoint"
CHAIN = "config-cert-chain"

CRYPTO_HELP = {
    "crypto": "Encryption module",
    "key": "Long term key operations",
    "generate": "Generate new keys",
    "rsa": "Generate RSA keys",
    "general-keys": "Generate a general purpose RSA key pair for signing and encryption",
    "usage-keys": "Generate separate RSA key pairs for signing and encryption",
    "label": "Provide a label",
    "exportable": "Allow the key to be exported",
    "modulus": "Provide number of modulus bits on the command line",
    "zeroize": "Remove keys",
    "pki": "Public Key components",
    "server": "Enable IOS Certificate Server",
    "trustpoint": "Define a CA trustpoint",
    "certificate": "Actions on certificates",
    "chain": "Enter certificate chain configuration mode",
    "authenticate": "Get the certification authority certificate",
    "enroll": "Request a certificate from a CA",
    "name": "Name",
    "key_label": "RSA key label", "bits": "size of the key modulus [360-4096]",
}

# --------------------------------------------------------------------------------------------
# shared helpers


def domain_name(router: Router) -> str | None:
    """`ip domain name X` (or the older `ip domain-name X`) as configured, else None."""
    return router.config.domain_name


def default_key_name(router: Router) -> str:
    """The label IOS gives unlabelled keys: the router's fully qualified name."""
    domain = domain_name(router)
    return f"{router.hostname}.{domain}" if domain else router.hostname


async def ask_yes_no(c: Ctx, prompt: str) -> bool:
    """An IOS `[yes/no]` question: repeats until answered; end of input counts as no."""
    for _ in range(10):
        answer = await c.ask(prompt)
        if answer is None:
            return False
        word = answer.strip().lower()
        if word and "yes".startswith(word):
            return True
        if word and "no".startswith(word):
            return False
        c.out("% Please answer 'yes' or 'no'.")  # [M]
    return False


def trustpoint(router: Router, name: str) -> TrustpointSection | None:
    return credentials.trustpoint(router, name)


def trustpoints(router: Router) -> list[TrustpointSection]:
    return pki_config.trustpoints(router.config)


def certificate_chain(router: Router, name: str, create: bool = False
                      ) -> CertificateChainSection | None:
    """The chain of trustpoint `name` (created on demand for enrolment and paste)."""
    return pki_config.certificate_chain(router.config, name, create)


def certificate_servers(router: Router) -> list[CertificateServerSection]:
    return ca_core.servers(router)


def key_generation_lines(bits: int, exportable: bool, elapsed: float) -> list[str]:
    return [f"% Generating {bits} bit RSA keys, keys will be "
            f"{'exportable' if exportable else 'non-exportable'}...",
            f"[OK] (elapsed time was {int(elapsed)} seconds)"]


def generate_key(c: Ctx, store: KeyStore, label: str, bits: int, usage: str,
                 exportable: bool) -> None:
    """Make one key pair and print IOS's progress lines for it; the first key pair SSH can use
    enables SSH (`%SSH-5-ENABLED`, whatever the key's name)."""
    ssh_before = ra.ssh_host_key(c.router) is not None
    started = time.monotonic()
    store.generate(label, bits, usage, exportable, c.router.clock.now_utc())
    for line in key_generation_lines(bits, exportable, time.monotonic() - started):
        c.out(line)
    if not ssh_before and ra.ssh_host_key(c.router) is not None:
        # [C] spec 5.4
        c.log(f"%SSH-5-ENABLED: SSH {ra.ssh_version(c.router.config)} has been enabled")


# --------------------------------------------------------------------------------------------
# crypto key generate / zeroize / show


def _keygen_syntaxes() -> list[str]:
    """IOS takes `label`, `exportable` and `modulus` in any order after the key type."""
    options = ["[label WORD:key_label]", "[exportable]", "[modulus <360-4096>:bits]"]
    return ["crypto key generate rsa [{general-keys|usage-keys}:usage] " + " ".join(order)
            for order in itertools.permutations(options)]


async def crypto_key_generate(c: Ctx) -> None:
    """`crypto key generate rsa`: the IOS dialogue, then a real key pair in the key store."""
    router = c.router
    label = c.args.get("key_label")
    if label is None:
        if router.hostname == "Router":
            c.out("% Please define a hostname other than Router.")  # [C]
            return
        if domain_name(router) is None:
            c.out("% Please define a domain-name first.")  # [C]
            return
        label = default_key_name(router)
    store = keystore_of(router)
    if store.has(label):
        c.out(f"% You already have RSA keys defined named {label}.")  # [C]
        if not await ask_yes_no(c, "% Do you really want to replace them? [yes/no]: "):
            return
    exportable = bool(c.args.get("exportable"))
    usages = ["signature", "encryption"] if c.args.get("usage") == "usage-keys" else ["general"]
    c.out(f"The name for the keys will be: {label}")
    modulus = c.args.get("bits")
    if modulus is not None:
        c.out("")
        c.out(f"% The key modulus size is {modulus} bits")  # [C]
    for usage in usages:
        bits = modulus
        if bits is None:
            kind = USAGE_TEXT[usage].replace(" Key", " Keys")
            c.out(f"Choose the size of the key modulus in the range of {MIN_MODULUS} to "
                  f"{MAX_MODULUS} for your\n  {kind}. Choosing a key modulus greater than 512 "
                  "may take\n  a few minutes.\n")
            answer = await c.ask("How many bits in the modulus [512]: ")
            text = (answer or "").strip()
            if not text:
                bits = 512
            elif (number := ascii_number(text, MIN_MODULUS, MAX_MODULUS)) is not None:
                bits = number
            else:
                c.out(f"% You must choose a key modulus in the range of {MIN_MODULUS} to "  # [M]
                      f"{MAX_MODULUS}.")
                return
        generate_key(c, store, label, bits, usage, exportable)


for _syntax in _keygen_syntaxes():
    command("config", _syntax, no=False, help=CRYPTO_HELP)(crypto_key_generate)


@command("config", "crypto key zeroize rsa [WORD:label]", no=False, help=CRYPTO_HELP)
async def crypto_key_zeroize(c: Ctx) -> None:
    """`crypto key zeroize rsa [label]`: confirmed removal of one or all key pairs."""
    store = keystore_of(c.router)
    label = c.args.get("label")
    if label is not None and not store.has(label):
        c.out(f"% RSA keypair {label} is not present.")  # [U]
        return
    if not store.keys:
        return
    if label is None:
        c.out("% All keys will be removed.")  # [M]
    else:
        c.out(f"% Keys to be removed are named {label}.")  # [M]
    c.out("% All router certs issued using these keys will also be removed.")  # [M]
    if not await ask_yes_no(c, "Do you really want to remove these keys? [yes/no]: "):
        return
    ssh_before = ra.ssh_host_key(c.router) is not None
    store.remove(label)
    if ssh_before and ra.ssh_host_key(c.router) is None:
        c.log(f"%SSH-5-DISABLED: SSH {ra.ssh_version(c.router.config)} has been disabled")  # [M]


def mypubkey_lines(router: Router, label: str | None = None) -> list[str]:
    """`show crypto key mypubkey rsa`: one block per key pair, public key as DER hex."""
    lines: list[str] = []
    for key in keystore_of(router).keys:
        if label is not None and key.label != label:
            continue
        # [C]
        lines.append(f"% Key pair was generated at: {router.clock.cert_stamp(key.generated)}")
        lines.append(f"Key name: {key.label}")
        lines.append("Key type: RSA KEYS")
        lines.append(f" Storage Device: {key.storage}")
        lines.append(f" Usage: {USAGE_TEXT[key.usage]}")
        lines.append(f" Key is {'' if key.exportable else 'not '}exportable.")
        lines.append(" Key Data:")
        lines.extend(hex_lines(key.public_der()))
    return lines


# [C] real `show crypto key mypubkey rsa` captures: `% Key pair was generated at:`, `Key name:`
@command("exec", "show crypto key mypubkey rsa [WORD:label]",
         help={"crypto": "Encryption module", "key": "Show long term public keys",
               "mypubkey": "Show public keys associated with this router",
               "rsa": "Show RSA public keys"})
def show_mypubkey(c: Ctx) -> None:
    for line in mypubkey_lines(c.router, c.args.get("label")):
        c.out(line)


# --------------------------------------------------------------------------------------------
# crypto pki server (cs-server)

CS_HELP = {
    "database": "Certificate Server database parameters",
    "level": "Specify the type of data stored in the database",
    "minimum": "Minimum data required for normal operation",
    "names": "Certificate subject names stored in the database",
    "complete": "Complete certificate stored in the database",
    "url": "Specify certificate server database location",
    "grant": "Specify how to respond to certificate requests",
    "auto": "Automatically grant incoming SCEP enrollment requests",
    "none": "Automatically reject any incoming SCEP enrollment requests",
    "ra-auto": "Automatically grant incoming SCEP enrollment requests from an RA",
    "issuer-name": "Issuer name",
    "lifetime": "Lifetime parameters",
    "certificate": "Lifetime of the issued certificates",
    "ca-certificate": "Lifetime of the Certificate Authority certificate",
    "crl": "Lifetime of the Certificate Revocation List",
    "enrollment-request": "Lifetime of enrollment requests",
    "mode": "Certificate Server mode",
    "ra": "Registration Authority mode",
    "shutdown": "Shutdown the certificate server",
    "days": "days", "hours": "hours",
}


@command("config", "crypto pki server WORD:name", no="crypto pki server WORD:name",
         help={**CRYPTO_HELP, "name": "Certificate Server name"})
def crypto_pki_server(c: Ctx) -> None:
    """Enter `cs-server`; a new server starts shut down, as IOS shows with ` shutdown`.

    At boot the saved configuration decides: a server saved running has no ` shutdown` line.
    """
    name = c.args["name"]
    if c.no or c.default:
        c.router.config.remove(SERVER_KIND, (name,))
        return
    sec = c.router.config.find(SERVER_KIND, (name,))
    if sec is None:
        sec = c.router.config.section(SERVER_KIND, (name,), f"crypto pki server {name}",
                                      CertificateServerSection)
        if c.session.origin == "startup":
            # A saved server without ` shutdown` was running: it comes back up at boot.
            sec.started = True
        else:
            sec.shutdown = True
    c.enter(CS, sec)


def _unlocked(c: Ctx) -> bool:
    """Settings of a running server are locked until `shutdown` (spec 5.2: "enter "shut" to
    unlock it"); the issuer name and CA lifetime are fixed once the CA certificate exists."""
    sec: CertificateServerSection = c.target
    if c.session.origin == "startup":
        return True
    fixed = "dn" in c.args or "ca-certificate" in c.line  # (a check several settings share)
    if fixed and CertificateServer(c.router, sec.name).created:
        # [C] spec 5.1
        c.out("%Some server settings cannot be changed after CA certificate generation.")
        return False
    if not sec.shutdown and sec.started:
        c.out('% Server\'s configuration is locked  (enter "shut" to unlock it)')  # [U]
        return False
    return True


CSS = CertificateServerSection
typed_setting(CS, CSS, "database level {minimum|names|complete}:level", "database_level",
              lambda a: DatabaseLevel(a["level"]), help=CS_HELP, check=_unlocked)
typed_setting(CS, CSS, "database url URL:url", "database_url", help=CS_HELP, check=_unlocked)
typed_setting(CS, CSS, "issuer-name LINE:dn", "issuer_name", help=CS_HELP, check=_unlocked)
typed_setting(CS, CSS, "lifetime certificate <1-1825>:days", "lifetime_certificate",
              help=CS_HELP, check=_unlocked)
typed_setting(CS, CSS, "lifetime ca-certificate <1-7305>:days", "lifetime_ca_certificate",
              help=CS_HELP, check=_unlocked)
typed_setting(CS, CSS, "lifetime crl <1-336>:hours", "lifetime_crl", help=CS_HELP,
              check=_unlocked)
typed_setting(CS, CSS, "lifetime enrollment-request <1-1000>:hours",
              "lifetime_enrollment_request", help=CS_HELP, check=_unlocked)
typed_setting(CS, CSS, "mode ra", "mode_ra", lambda a: True, help=CS_HELP, check=_unlocked)
typed_setting(CS, CSS, "cdp-url URL:url", "cdp_url",
              help={**CS_HELP, "cdp-url": "CRL distribution point URL"}, check=_unlocked)


@command(CS, "grant {auto|none|ra-auto}:grant", help=CS_HELP)
def cs_grant(c: Ctx) -> None:
    """`grant auto|none|ra-auto`: one setting (each replaces the other); auto is logged."""
    sec: CertificateServerSection = c.target
    if c.no or c.default:
        sec.reset_setting("grant")
        return
    mode = GrantMode(c.args["grant"])
    sec.grant = mode
    if mode is GrantMode.AUTO:
        # [C] spec 5.1
        c.log("%PKI-6-CS_GRANT_AUTO: All enrollment requests will be automatically granted.")


@command(CS, "shutdown", help=CS_HELP)
async def cs_shutdown(c: Ctx) -> None:
    """`shutdown` stops the server; `no shutdown` runs the start dialogue (spec 5.1).

    The first `no shutdown` creates the CA: its key pair (unless one of its label exists), the
    self-signed CA certificate in `crypto pki certificate chain NAME`, the database and the CRL
    on storage (`cucme_lab.router.pki.ca`)."""
    sec: CertificateServerSection = c.target
    server = CertificateServer(c.router, sec.name)
    if not (c.no or c.default):
        if not sec.shutdown and sec.started:
            c.log("%PKI-6-CS_DISABLED: Certificate server now disabled.")  # [M]
        sec.shutdown = True
        return
    if not sec.shutdown:
        return
    if not server.created:
        # [C] spec 5.1
        c.out("%Some server settings cannot be changed after CA certificate generation.")
        c.out("% Please enter a passphrase to protect the private key")  # [C] spec 5.1
        c.out("% or type Return to exit")  # [C] spec 5.1
        first = await c.ask("Password: ", echo=False)
        if not first:
            return
        c.out("")
        second = await c.ask("Re-enter password: ", echo=False)
        if first != second:
            c.out("% Passwords do not match.")  # [U]
            return
        # The passphrase protects IOS's archive of the CA key (`database archive`); the lab
        # keeps the key in private-config like every other key, so it is not stored.
        _ca_trustpoint(c.router, sec.name)
        store = keystore_of(c.router)
        label = key_label(c.router, sec.name)
        if not store.has(label):
            generate_key(c, store, label, 1024, "general", False)
        try:
            server.create()
        except (CaError, ValueError) as exc:
            c.out(f"% Certificate Server not enabled: {exc}")  # [U]
            return
        sec.started = True
    sec.shutdown = False
    c.out("")
    c.out("% Certificate Server enabled.")  # [C] spec 5.1
    c.log("%PKI-6-CS_ENABLED: Certificate server now enabled.")  # [C] spec 5.1
    c.router.notify()


def _ca_trustpoint(router: Router, name: str) -> None:
    """The trustpoint IOS makes for its own CA: same name, `revocation-check crl`, its key."""
    tp = router.config.section(TRUSTPOINT_KIND, (name,), f"crypto pki trustpoint {name}",
                               TrustpointSection)
    assert isinstance(tp, TrustpointSection)
    if not tp.revocation_check:
        tp.revocation_check = (RevocationMethod.CRL,)
    if tp.rsakeypair is None:
        tp.rsakeypair = KeyPair(name)


def show_server_lines(router: Router, name: str | None = None) -> list[str]:
    """`show crypto pki server [NAME]` (spec 5.2)."""
    lines: list[str] = []
    http = router.config.http_server
    for sec in certificate_servers(router):
        if name is not None and sec.name != name:
            continue
        server = CertificateServer(router, sec.name)
        running = not sec.shutdown and server.created
        lines.append(f"Certificate Server {sec.name}:")
        if not running:
            lines.append("    Status: disabled")
            lines.append("    State: initial" if not server.created else "    State: disabled")
            lines.append('    Server\'s configuration is unlocked (enter "no shut" to lock it)')
        elif not http:
            lines.append("    Status: disabled, HTTP Server is disabled")
            lines.append("    State: check failed")
            lines.append('    Server\'s configuration is locked  (enter "shut" to unlock it)')
        else:
            lines.append("    Status: enabled")
            lines.append("    State: enabled")
            lines.append('    Server\'s configuration is locked  (enter "shut" to unlock it)')
        ca_cert = server.ca_certificate() if server.created else None
        # IOS prints the issuer name as configured (default `CN=<server>`), not the
        # certificate's DN in its lowercase `cn=` form (specs/ios-cli.md 5.2, real captures)
        lines.append(f"    Issuer name: {sec.issuer_name or f'CN={sec.name}'}")
        if ca_cert is None:
            lines.append("    CA cert fingerprint: -Not found-")
        else:
            lines.append("    CA cert fingerprint: "
                         f"{fingerprint(ca_cert.public_bytes(Encoding.DER))}")
        grant = GrantMode.MANUAL if sec.grant is GrantMode.NONE else sec.grant
        lines.append(f"    Granting mode is: {grant}")
        if ca_cert is not None:
            lines.append("    Last certificate issued serial number (hex): "
                         f"{server.last_serial():X}")
            lines.append("    CA certificate expiration timer: "
                         f"{_timer(router, ca_cert.not_valid_after_utc)}")
            if running:
                lines.append("    CRL NextUpdate timer: "
                             f"{_timer(router, server.crl().next_update_utc)}")
        lines.append(f"    Current primary storage dir: {sec.storage_url}")
        lines.append(f"    Database Level: {DATABASE_LEVELS[sec.level]}")
    return lines


def _timer(router: Router, when) -> str:
    """`10:02:40 UTC Jun 2 2027`, as the CA's timers print."""
    return router.clock.cert_stamp(when)


DATABASE_LEVELS = {
    DatabaseLevel.MINIMUM: "Minimum - no cert data written to storage",
    DatabaseLevel.NAMES: "Names - subject name data written to storage",
    DatabaseLevel.COMPLETE: "Complete - all issued certs written as <serialnum>.cer",
}


def request_table_lines(server: CertificateServer) -> list[str]:
    """The request database: `show crypto pki server NAME requests` / `info requests`."""
    rule = "-" * 62
    header = "ReqID  State      Fingerprint                      SubjectName"
    lines = ["Enrollment Request Database:", "",  # [M] heading
             "Subordinate CA certificate requests:", header, rule, "",
             "RA certificate requests:", header, rule, "",
             "Router certificates requests:", header, rule]
    for req in server.requests().requests:
        lines.append(f"{req.id:<7}{req.state:<11}{req.fingerprint:<33}"
                     f"{dn_text(req.csr.subject)}")
    return lines


def certificate_table_lines(server: CertificateServer) -> list[str]:
    """`show crypto pki server NAME certificates`: what the database knows was issued."""
    lines = ["Serial Issued date              Expire date               Subject Name"]
    seen: dict[int, x509.Certificate] = {}
    ca = server.ca_certificate()
    if ca is not None:
        seen[ca.serial_number] = ca
    for cert in server.issued_certificates():
        seen.setdefault(cert.serial_number, cert)
    for req in server.requests().requests:
        if req.certificate is not None:
            seen.setdefault(req.certificate.serial_number, req.certificate)
    clock = server.router.clock
    for serial in sorted(seen):
        cert = seen[serial]
        lines.append(f"{serial:<7X}{clock.cert_stamp(cert.not_valid_before_utc):<25}"
                     f"{clock.cert_stamp(cert.not_valid_after_utc):<26}{dn_text(cert.subject)}")
    return lines


EXEC_CS_HELP = {**CRYPTO_HELP, "server": "Certificate Server",
                "name": "Certificate Server name",
                "grant": "Grant enrollment requests", "reject": "Reject enrollment requests",
                "revoke": "Revoke a certificate", "info": "Display information",
                "requests": "Display the enrollment request database",
                "crl": "Display the current CRL", "remove": "Remove enrollment requests",
                "all": "All requests", "id": "Request ID",
                "serial": "Certificate serial number (decimal, or hex with 0x)"}


def _exec_server(c: Ctx) -> CertificateServer | None:
    name = c.args["name"]
    server = CertificateServer(c.router, name)
    if server_section(c.router, name) is None or not server.created:
        c.out(f"% Certificate server {name} is not configured or not enabled.")  # [U]
        return None
    return server


def _select(c: Ctx, server: CertificateServer, states: tuple[str, ...]) -> list:
    reqs = server.requests().requests
    if c.args.get("all"):
        return [r for r in reqs if r.state in states]
    chosen = [r for r in reqs if r.id == c.args["id"]]
    if not chosen:
        c.out(f"% Request ID {c.args['id']} not found.")  # [U]
    return chosen


# grant/reject/remove print nothing when they succeed [M]; a CA error's text is the lab's [U]
@command("exec", "crypto pki server WORD:name grant {all|<1-2147483647>:id}", no=False,
         help=EXEC_CS_HELP)
def exec_cs_grant(c: Ctx) -> None:
    server = _exec_server(c)
    if server is None:
        return
    for req in _select(c, server, ("pending",)):
        try:
            server.grant(req)
        except CaError as exc:
            c.out(f"% {exc}")  # [U] the CA's own error text


@command("exec", "crypto pki server WORD:name reject {all|<1-2147483647>:id}", no=False,
         help=EXEC_CS_HELP)
def exec_cs_reject(c: Ctx) -> None:
    server = _exec_server(c)
    if server is None:
        return
    for req in _select(c, server, ("pending",)):
        server.reject(req)


@command("exec", "crypto pki server WORD:name remove {all|<1-2147483647>:id}", no=False,
         help=EXEC_CS_HELP)
def exec_cs_remove(c: Ctx) -> None:
    server = _exec_server(c)
    if server is None:
        return
    for req in _select(c, server, ("pending", "granted", "rejected")):
        server.requests().requests.remove(req)


@command("exec", "crypto pki server WORD:name revoke WORD:serial", no=False,
         help=EXEC_CS_HELP)
def exec_cs_revoke(c: Ctx) -> None:
    server = _exec_server(c)
    if server is None:
        return
    text = c.args["serial"].strip()
    # ASCII only and bounded (a serial is at most 20 octets, RFC 5280 4.1.2.2)
    if not re.fullmatch(r"0[xX][0-9a-fA-F]{1,40}|[0-9]{1,49}", text):
        c.out(f"% Invalid serial number {text}")  # [U]
        return
    serial = int(text, 16) if text.lower().startswith("0x") else int(text)
    try:
        server.revoke(serial)
    except CaError as exc:
        c.out(f"% {exc}")  # [U] the CA's own error text


# [M] `info requests` prints the request table of `show ... requests` (specs 5.2); the CRL
# summary's labels [U]
@command("exec", "crypto pki server WORD:name info {requests|crl}:what", no=False,
         help=EXEC_CS_HELP)
def exec_cs_info(c: Ctx) -> None:
    server = _exec_server(c)
    if server is None:
        return
    if c.args["what"] == "requests":
        for line in request_table_lines(server):
            c.out(line)
        return
    crl = server.crl()
    c.out(f"Certificate Revocation List:\n    Issuer: {dn_text(crl.issuer)}")
    c.out(f"    This Update: {_timer(c.router, crl.last_update_utc)}")
    c.out(f"    Next Update: {_timer(c.router, crl.next_update_utc)}")
    revoked = list(crl)
    c.out(f"    Number of CRL entries: {len(revoked)}")
    c.out(f"    CRL size: {len(crl.public_bytes(Encoding.DER))} bytes")
    if revoked:
        c.out("Revoked Certificates:")
        for entry in revoked:
            c.out(f"    Serial number: {entry.serial_number:02X}")
            c.out(f"    Revocation date: {_timer(c.router, entry.revocation_date_utc)}")


# --------------------------------------------------------------------------------------------
# crypto pki trustpoint (ca-trustpoint)

TP_HELP = {
    "enrollment": "Enrollment parameters",
    "url": "Enrollment URL",
    "terminal": "Enroll via the terminal (cut-and-paste)",
    "pem": "Use PEM encapsulation",
    "selfsigned": "Generate a Self Signed Certificate",
    "mode": "Mode supported by the Certificate Authority",
    "ra": "Mode supported by the Certificate Authority",
    "serial-number": "Specify the serial number to include in the certificate",
    "none": "Do not include",
    "ip-address": "Specify the IP address to include in the certificate",
    "password": "Revocation password",
    "subject-name": "Subject Name",
    "revocation-check": "Revocation checking options",
    "crl": "Revocation check by CRL",
    "ocsp": "Revocation check by OCSP",
    "rsakeypair": "Specify the key pair to be used with the certificate",
    "label": "Specify the RSA key label",
    "size": "size of the key modulus [360-4096]",
    "enc": "size of the encryption key modulus [360-4096]",
}


@command("config", "crypto pki trustpoint WORD:name", no="crypto pki trustpoint WORD:name",
         help={**CRYPTO_HELP, "name": "Trustpoint name"})
def crypto_pki_trustpoint(c: Ctx) -> None:
    """Enter `ca-trustpoint`; `no` also drops the trustpoint's certificate chain."""
    name = c.args["name"]
    if c.no or c.default:
        c.router.config.remove(TRUSTPOINT_KIND, (name,))
        c.router.config.remove(CHAIN_KIND, (name,))
        return
    sec = c.router.config.section(TRUSTPOINT_KIND, (name,), f"crypto pki trustpoint {name}",
                                  TrustpointSection)
    c.enter(TP, sec)


TPS = TrustpointSection
# The three enrolment methods replace one another: one attribute, as one line.
typed_setting(TP, TPS, "enrollment url URL:url", "enrollment",
              lambda a: Enrollment(EnrollmentMethod.URL, a["url"]), help=TP_HELP)
typed_setting(TP, TPS, "enrollment terminal [pem]", "enrollment",
              lambda a: Enrollment(EnrollmentMethod.TERMINAL, pem=bool(a.get("pem"))),
              help=TP_HELP)
typed_setting(TP, TPS, "enrollment selfsigned", "enrollment",
              lambda a: Enrollment(EnrollmentMethod.SELFSIGNED), help=TP_HELP)
typed_setting(TP, TPS, "enrollment mode ra", "enrollment_mode_ra", lambda a: True, help=TP_HELP)
typed_setting(TP, TPS, "serial-number [none]", "serial_number", lambda a: not a.get("none"),
              help=TP_HELP)
typed_setting(TP, TPS, "ip-address {none|A.B.C.D:addr}", "ip_address",
              lambda a: SubjectAddress(ipaddress.IPv4Address(a["addr"]) if a.get("addr")
                                       else None), help=TP_HELP)
typed_setting(TP, TPS, "password [{0|7}:ptype] LINE:pw", "password",
              lambda a: ChallengePassword(a["pw"], a.get("ptype")), help=TP_HELP)
typed_setting(TP, TPS, "subject-name LINE:dn", "subject_name", help=TP_HELP)
typed_setting(TP, TPS, "revocation-check {crl|none|ocsp}:m1 [{crl|none|ocsp}:m2 "
              "[{crl|none|ocsp}:m3]]", "revocation_check",
              lambda a: tuple(RevocationMethod(a[m]) for m in ("m1", "m2", "m3") if a.get(m)),
              help=TP_HELP)
typed_setting(TP, TPS, "rsakeypair WORD:label [<360-4096>:size [<360-4096>:enc]]", "rsakeypair",
              lambda a: KeyPair(a["label"], a.get("size"), a.get("enc")), help=TP_HELP)


def _subject_lines(cert: x509.Certificate, indent: str) -> list[str]:
    """A DN the way `show crypto pki` prints it: lower-case attribute names, one per line."""
    out = []
    for rdn in cert.subject.rdns:
        for attr in rdn:
            oid_name = attr.rfc4514_string().split("=", 1)[0].lower()
            out.append(f"{indent}{oid_name}={attr.value}")
    return out


def show_trustpoint_lines(router: Router) -> list[str]:
    """`show crypto pki trustpoints` (spec 5.6, plain form)."""
    lines: list[str] = []
    for tp in trustpoints(router):
        lines.append(f"Trustpoint {tp.name}:")
        chain = certificate_chain(router, tp.name)
        ca_certs = [c for c in chain.ordered() if c.ca] if chain else []
        if not ca_certs:
            lines.append("    Not authenticated.")
            continue
        ca = ca_certs[0]
        lines.append("    Subject Name:")
        lines.extend(_subject_lines(ca.certificate(), "    "))
        lines.append(f"          Serial Number (hex): {ca.serial}")
        lines.append("    Certificate configured.")
        url = tp.enrollment_url
        if url and url.lower().startswith("http"):
            lines.append(f"    SCEP URL: {url}/cgi-bin")
    return lines


@command("exec", "show crypto pki trustpoints",
         help={"crypto": "Encryption module", "pki": "Show PKI",
               "trustpoints": "Show trustpoints"})
def show_pki_trustpoints(c: Ctx) -> None:
    for line in show_trustpoint_lines(c.router):
        c.out(line)


# --------------------------------------------------------------------------------------------
# crypto pki authenticate / enroll (global config, as the CME guides type them)


def _no_ca_answer(c: Ctx, unreachable: bool = True) -> None:
    c.out("% Error in receiving Certificate Authority certificate: status = FAIL, "  # [C] spec 5.3
          "cert length = 0")
    if unreachable:
        c.log("%PKI-3-SOCKETSEND: Failed to send out message to CA server.")  # [C] spec 5.3


def _enrollment(tp: TrustpointSection) -> tuple[EnrollmentMethod, str | None]:
    """(url, URL) | (terminal, None) | (selfsigned, None); terminal when unset."""
    if tp.enrollment is None:
        return EnrollmentMethod.TERMINAL, None
    return tp.enrollment.method, tp.enrollment.url


async def _fetch_ca(c: Ctx, url: str, name: str) -> x509.Certificate | None:
    """SCEP GetCACert over the network, with IOS's failure text when nothing answers."""
    try:
        certs = await pki_client.get_ca_certificates(c.router, url, name)
    except pki_client.CaUnreachable as exc:
        trace(c.router, "transactions", f"Connect to CA failed: {exc}")
        _no_ca_answer(c)
        return None
    except pki_client.HttpError as exc:
        trace(c.router, "transactions", f"CA answered HTTP {exc.status}")
        _no_ca_answer(c, unreachable=False)
        return None
    roots = [x for x in certs if x.issuer == x.subject] or certs
    return roots[0]


def _fingerprint_block(c: Ctx, cert: x509.Certificate) -> None:
    der = cert.public_bytes(Encoding.DER)
    c.out("Certificate has the following attributes:")
    c.out(f"       Fingerprint MD5: {fingerprint(der, 'md5')}")
    c.out(f"      Fingerprint SHA1: {fingerprint(der, 'sha1')}")
    c.out("")


async def _read_pem(c: Ctx) -> bytes | None:
    """Lines until a blank line or `quit`; base64 with or without PEM armour."""
    collected: list[str] = []
    for _ in range(500):
        line = await c.ask("")
        if line is None or not line.strip() or line.strip().lower() == "quit":
            break
        if not line.startswith("-----"):
            collected.append(line.strip())
    try:
        return base64.b64decode("".join(collected), validate=True) or None
    except (ValueError, binascii.Error):
        return None


@command("config", "crypto pki authenticate WORD:name", no=False,
         help={**CRYPTO_HELP, "name": "Trustpoint name"})
async def crypto_pki_authenticate(c: Ctx) -> None:
    """Fetch the CA certificate (SCEP GetCACert over the network, or a paste) and accept it."""
    name = c.args["name"]
    tp = trustpoint(c.router, name)
    if tp is None:
        c.out("% Trustpoint not found")  # [U]
        return
    method, url = _enrollment(tp)
    if method is EnrollmentMethod.SELFSIGNED:
        c.out("% Authenticate is not needed for a self-signed trustpoint.")  # [U]
        return
    if method is EnrollmentMethod.URL:
        assert url is not None
        cert = await _fetch_ca(c, url, name)
        if cert is None:
            return
        imported = False
    else:
        c.out("Enter the base 64 encoded CA certificate.")
        c.out('End with a blank line or the word "quit" on a line by itself')
        c.out("")
        data = await _read_pem(c)
        try:
            cert = x509.load_der_x509_certificate(data or b"")
        except (ValueError, x509.InvalidVersion):  # InvalidVersion is not a ValueError
            # [C] spec 5.3
            c.out("% Error in receiving Certificate Authority certificate: status = FAIL, "
                  "cert length = 0")
            return
        imported = True
    _fingerprint_block(c, cert)
    if not await ask_yes_no(c, "% Do you accept this certificate? [yes/no]: "):
        c.out("% Certificate not accepted.")  # [U]
        return
    chain = certificate_chain(c.router, name, create=True)
    assert chain is not None
    keep = chain.der(ca=False)
    chain.set_der(router_certs=keep, ca_certs=[cert.public_bytes(Encoding.DER)])
    c.out("Trustpoint CA certificate accepted.")
    if imported:
        c.out("% Certificate successfully imported")  # [C] spec 5.3
    c.router.notify()


def _fqdn(router: Router) -> str:
    return default_key_name(router)


async def _trustpoint_key(c: Ctx, tp: TrustpointSection) -> rsa.RSAPrivateKey:
    """The trustpoint's key pair, generated (with IOS's lines) when its label has none."""
    store = keystore_of(c.router)
    label = key_label(c.router, tp.name)
    key = store.get(label, "general") or store.get(label, "signature")
    if key is None:
        pair = tp.rsakeypair
        bits = (pair.size if pair is not None else None) or 1024
        if pair is not None and pair.encryption_size is not None:
            # `rsakeypair LABEL SIZE ENCRYPTION-SIZE`: usage keys, a signature pair and an
            # encryption pair of one label (CME guide, `rsakeypair`: "used to request separate
            # encryption, signature keys, and certificates"). This lab enrols the signature
            # pair; IOS would request a second certificate for the encryption pair [U].
            generate_key(c, store, label, bits, "signature", False)
            generate_key(c, store, label, pair.encryption_size, "encryption", False)
            key = store.get(label, "signature")
        else:
            generate_key(c, store, label, bits, "general", False)
            key = store.get(label, "general")
    assert key is not None
    return key.private_key


@command("config", "crypto pki enroll WORD:name", no=False,
         help={**CRYPTO_HELP, "name": "Trustpoint name"})
async def crypto_pki_enroll(c: Ctx) -> None:
    """The enrolment dialogue of spec 5.4, then SCEP PKCSReq over the network."""
    router = c.router
    name = c.args["name"]
    tp = trustpoint(router, name)
    if tp is None:
        c.out("% Trustpoint not found")  # [U]
        return
    method, url = _enrollment(tp)
    chain = certificate_chain(router, name)
    ca_ders = chain.der(ca=True) if chain is not None else []
    if method is not EnrollmentMethod.SELFSIGNED and not ca_ders:
        # [C] spec 5.4
        c.out("% You must authenticate the Certificate Authority before you can enroll with it.")
        return
    if chain is not None and chain.der(ca=False):
        c.out(f"% You already have a certificate for trustpoint {name}.")  # [U]
        if not await ask_yes_no(c, "% Do you want to continue with re-enrollment? [yes/no]: "):
            return
    key = await _trustpoint_key(c, tp)
    challenge = tp.password.text if tp.password is not None else None
    if method is not EnrollmentMethod.SELFSIGNED and challenge is None:
        c.out("%")  # [C] spec 5.4
        c.out("% Start certificate enrollment ..")  # [C] spec 5.4
        # [C] spec 5.4
        c.out("% Create a challenge password. You will need to verbally provide this")
        c.out("   password to the CA Administrator in order to revoke your certificate.")
        c.out("   For security reasons your password will not be saved in the configuration.")
        c.out("   Please make a note of it.")
        c.out("")
        first = await c.ask("Password: ", echo=False)
        second = await c.ask("Re-enter password: ", echo=False)
        if first is None or first != second:
            c.out("% Passwords do not match.")  # [U]
            return
        challenge = first
        c.out("")
    dn = tp.subject_name
    if dn:
        c.out(f"% The subject name in the certificate will include: {dn.strip()}")  # [C] spec 5.4
    fqdn = _fqdn(router)
    c.out(f"% The subject name in the certificate will include: {fqdn}")  # [C] spec 5.4
    serial = None
    if tp.serial_number is not None:
        serial = router.serial if tp.serial_number else None
    elif await ask_yes_no(c, "% Include the router serial number in the subject name? "
                             "[yes/no]: "):
        serial = router.serial
    if serial:
        c.out(f"% The serial number in the certificate will be: {serial}")  # [C] spec 5.4
    ip = await _subject_ip(c, tp)
    if ip is False:
        return
    subject = enrol_core.subject_name(dn, fqdn, serial, ip or None)
    if method is EnrollmentMethod.SELFSIGNED:
        if await ask_yes_no(c, "Generate Self Signed Router Certificate? [yes/no]: "):
            _self_signed(router, name, key, subject)
            c.out("")
            c.out("Router Self Signed Certificate successfully created")
        return
    csr = enrol_core.build_csr(key, subject, challenge)
    if method is EnrollmentMethod.TERMINAL:
        if await ask_yes_no(c, "Display Certificate Request to terminal? [yes/no]: "):
            text = base64.encodebytes(csr.public_bytes(Encoding.DER)).decode().strip()
            c.out("Certificate Request follows:")  # [M]
            c.out("")
            c.out(text)
            c.out("")
            c.out("---End - This line not part of the certificate request---")
        return
    if not await ask_yes_no(c, "Request certificate from CA? [yes/no]: "):
        return
    assert url is not None
    ca_cert = await _fetch_ca(c, url, name)
    if ca_cert is None:
        return
    c.out("% Certificate request sent to Certificate Authority")  # [C] spec 5.4
    # [C] spec 5.4, IOS's typo kept
    c.out(f"% The 'show crypto pki certificate verbose {name}' commandwill show the "
          "fingerprint.")
    md5, sha1 = enrol_core.fingerprints(csr)
    c.log(f"CRYPTO_PKI:  Certificate Request Fingerprint MD5: {md5}")
    c.log(f"CRYPTO_PKI:  Certificate Request Fingerprint SHA1: {sha1}")
    enrolment = enrol_core.Enrolment(name, url, key, csr, ca_cert)
    try:
        reply = await pki_client.pki_operation(router, url, enrolment.request_message())
    except pki_client.CaUnreachable as exc:
        trace(router, "transactions", f"Connect to CA failed: {exc}")
        c.log("%PKI-3-SOCKETSEND: Failed to send out message to CA server.")  # [C] spec 5.3
        return
    except pki_client.HttpError as exc:
        trace(router, "transactions", f"CA answered HTTP {exc.status}")
        c.log("%PKI-6-CERTFAIL: Certificate enrollment failed.")  # [M]
        return
    state, cert, why = enrolment.read_reply(reply)
    if state == "granted" and cert is not None:
        enrol_core.install(router, name, cert, ca_cert)
        c.log("%PKI-6-CERTRET: Certificate received from Certificate Authority")  # [C] spec 5.4
    elif state == "pending":
        trace(router, "transactions", "Certificate request pending, polling the CA")
        enrol_core.pending(router)[name] = enrolment
    else:
        trace(router, "transactions", why)
        c.log("%PKI-6-CERTREJECT: Certificate enrollment request was rejected by "
              "Certificate Authority")  # [M]


async def _subject_ip(c: Ctx, tp: TrustpointSection) -> str | None | bool:
    """The IP question, or the trustpoint's `ip-address`; False when the answer is bad."""
    if tp.ip_address is not None:
        return None if tp.ip_address.addr is None else str(tp.ip_address.addr)
    answer = await c.ask("% Include an IP address in the subject name? [no]: ")
    word = (answer or "").strip().lower()
    if not word or not "yes".startswith(word):
        return None
    given = (await c.ask("Enter Interface name or IP Address[]: ") or "").strip()
    try:
        return str(ipaddress.IPv4Address(given))
    except ValueError:
        pass
    sec = c.router.interface(given) if given else None
    addr = sec.address.ip if sec is not None and sec.address is not None else None
    if addr is None:
        c.out(f"% Invalid interface or IP address: {given}")  # [U]
        return False
    return str(addr)


def _self_signed(router: Router, name: str, key: rsa.RSAPrivateKey, subject: x509.Name) -> None:
    """`enrollment selfsigned`: a certificate signed by its own key (IOS uses serial 01)."""
    now = router.clock.now_utc().replace(microsecond=0)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(datetime(2020, 1, 1, tzinfo=UTC) if now.year < 2020 else
                             now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    chain = certificate_chain(router, name, create=True)
    assert chain is not None
    chain.set_der(router_certs=[cert.public_bytes(Encoding.DER)])
    router.mark_changed("console")


# --------------------------------------------------------------------------------------------
# show crypto pki certificates / server; debug crypto pki


def certificate_lines(router: Router, name: str | None = None) -> list[str]:
    """`show crypto pki certificates [TP]` (spec 5.5): router certificates, then CA ones."""
    blocks: list[list[str]] = []
    seen: dict[bytes, list[str]] = {}
    order: list[tuple[bool, bytes, x509.Certificate]] = []
    for tp in trustpoints(router):
        if name is not None and tp.name != name:
            continue
        chain = certificate_chain(router, tp.name)
        if chain is None:
            continue
        for entry in chain.ordered():
            if entry.der not in seen:
                seen[entry.der] = []
                order.append((entry.ca, entry.der, entry.certificate()))
            seen[entry.der].append(tp.name)
    order.sort(key=lambda item: item[0])
    # a trustpoint with usage keys enrols its signature pair: its certificate is a signature
    # one [M: IOS also requests an encryption certificate, which this lab does not]
    usage_keys = {tp.name for tp in trustpoints(router)
                  if tp.rsakeypair is not None and tp.rsakeypair.encryption_size is not None}
    for ca, der_bytes, cert in order:
        signature = ca or any(n in usage_keys for n in seen[der_bytes])
        block = ["CA Certificate" if ca else "Certificate", "  Status: Available",
                 f"  Certificate Serial Number (hex): {cert.serial_number:02X}",
                 f"  Certificate Usage: {'Signature' if signature else 'General Purpose'}",
                 "  Issuer:"]
        block += [f"    {part}" for part in dn_text(cert.issuer).split(",")]
        block.append("  Subject:")
        block += _subject_block(cert)
        block += ["  Validity Date:",
                  f"    start date: {router.clock.cert_stamp(cert.not_valid_before_utc)}",
                  f"    end   date: {router.clock.cert_stamp(cert.not_valid_after_utc)}",
                  f"  Associated Trustpoints: {' '.join(seen[der_bytes])}"]
        blocks.append(block)
    lines: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            lines.append("")
        lines.extend(block)
    return lines


def _subject_block(cert: x509.Certificate) -> list[str]:
    from cucme_lab.router.pki.ca import UNSTRUCTURED_ADDRESS, UNSTRUCTURED_NAME

    host = cert.subject.get_attributes_for_oid(UNSTRUCTURED_NAME)
    out = []
    if host:
        out.append(f"    Name: {host[0].value}")
        ip = cert.subject.get_attributes_for_oid(UNSTRUCTURED_ADDRESS)
        if ip:
            out.append(f"    IP Address: {ip[0].value}")
        sn = cert.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
        if sn:
            out.append(f"    Serial Number: {sn[0].value}")
    out += [f"    {part}" for part in dn_text(cert.subject).split(",")]
    return out


@command("exec", "show crypto pki certificates [WORD:name]",
         help={"crypto": "Encryption module", "pki": "Show PKI",
               "certificates": "Show certificates", "name": "Trustpoint name"})
def show_pki_certificates(c: Ctx) -> None:
    for line in certificate_lines(c.router, c.args.get("name")):
        c.out(line)


@command("exec", "show crypto pki server [WORD:name [{requests|certificates}:what]]",
         help={"crypto": "Encryption module", "pki": "Show PKI",
               "server": "Show Certificate Server status", "name": "Certificate Server name",
               "requests": "Show the enrollment request database",
               "certificates": "Show the issued certificates"})
def show_pki_server(c: Ctx) -> None:
    name, what = c.args.get("name"), c.args.get("what")
    if what is None:
        for line in show_server_lines(c.router, name):
            c.out(line)
        return
    server = _exec_server(c)
    if server is None:
        return
    lines = request_table_lines(server) if what == "requests" else \
        certificate_table_lines(server)
    for line in lines:
        c.out(line)


DEBUG_PKI_HELP = {"debug": "Debugging functions (see also 'undebug')",
                  "crypto": "Cryptographic subsystem", "pki": "PKI debug",
                  "transactions": "PKI transactions", "validation": "PKI validation path"}
DEBUG_PKI_TEXT = {"transactions": "Crypto PKI Trans debugging is on",  # [M]
                  "validation": "Crypto PKI Validation Path debugging is on"}


@command("exec", "debug crypto pki {transactions|validation}:what", help=DEBUG_PKI_HELP)
def debug_crypto_pki(c: Ctx) -> None:
    what = c.args["what"]
    c.router.debug.enable(f"crypto pki {what}", DEBUG_PKI_TEXT[what])
    c.out(DEBUG_PKI_TEXT[what])


@command("exec", "no debug crypto pki {transactions|validation}:what", help=DEBUG_PKI_HELP)
def no_debug_crypto_pki(c: Ctx) -> None:
    what = c.args["what"]
    c.router.debug.disable(f"crypto pki {what}")
    c.out(DEBUG_PKI_TEXT[what].replace(" on", " off"))


# --------------------------------------------------------------------------------------------
# crypto pki certificate chain (config-cert-chain) and the hex paste (config-pubkey)

CHAIN_HELP = {
    "certificate": "Enter a certificate",
    "ca": "a CA certificate",
    "serial": "Certificate serial number",
}


@command("config", "crypto pki certificate chain WORD:name",
         no="crypto pki certificate chain WORD:name",
         help={**CRYPTO_HELP, "name": "Trustpoint name"})
def crypto_pki_chain(c: Ctx) -> None:
    """Enter `config-cert-chain` for trustpoint NAME."""
    name = c.args["name"]
    if c.no or c.default:
        c.router.config.remove(CHAIN_KIND, (name,))
        return
    chain = certificate_chain(c.router, name, create=True)
    c.enter(CHAIN, chain)


class CertificatePaste:
    """The `config-pubkey` mode of one `certificate [ca] SERIAL`: hex lines until `quit`.

    Each line must be hex words; a line with anything else gets the caret under the first bad
    word and is dropped (the documents' `...` placeholder lines end up here), the paste goes
    on. At `quit` the collected bytes must be one DER X.509 certificate to be stored; an empty
    paste stores nothing.
    """

    def __init__(self, chain: CertificateChainSection, serial: str, ca: bool) -> None:
        self.chain = chain
        self.serial = serial
        self.ca = ca
        self.hex: list[str] = []

    async def raw_line(self, session: Session, line: str) -> None:
        text = line.strip()
        if text.lower() == "quit":
            self.finish(session)
            session.exit_mode()
            return
        for tok in tokenize(line):
            if not re.fullmatch(r"[0-9A-Fa-f]+", tok.text):
                session.print_error(line, ParseError("invalid", tok.start))
                return
        self.hex.extend(tok.text.upper() for tok in tokenize(line))

    def finish(self, session: Session) -> None:
        text = "".join(self.hex)
        if not text:
            return
        try:
            if len(text) % 2:
                raise ValueError("odd number of hex digits")
            der = bytes.fromhex(text)
            x509.load_der_x509_certificate(der)
        except (ValueError, x509.InvalidVersion):  # InvalidVersion is not a ValueError
            session.emit("% Certificate data is not a valid certificate; "  # [U]
                         f"certificate {self.serial} not stored.\n")
            return
        self.chain.put(self.serial, self.ca, der)
        session.config_changed = True
        session.router.mark_changed(session.user)


# `no certificate` names the certificate it removes: its `no` form takes the whole syntax, not
# the leading keyword alone (which raised KeyError for the missing serial).
@command(CHAIN, "certificate [ca] HEX:serial", help=CHAIN_HELP,
         no="certificate [ca] HEX:serial")
def chain_certificate(c: Ctx) -> None:
    """`certificate [ca] SERIAL` opens the hex paste; `no certificate ...` removes it."""
    chain: CertificateChainSection = c.target
    serial = c.args["serial"]
    ca = bool(c.args.get("ca"))
    if c.no or c.default:
        chain.remove(serial, ca)
        return
    c.enter("config-pubkey", CertificatePaste(chain, serial, ca))
