"""PKI commands: RSA keys, the certificate server, trustpoints and certificate chains.

Lines parse, validate and render as IOS does; the state is the router's config tree plus its key
store (`emulator.keystore`). The CA itself, SCEP enrolment and certificate issuing come later:
`crypto pki authenticate`/`enroll` answer today as IOS does when no CA answers.
"""

from __future__ import annotations

import itertools
import re
import time

from cryptography import x509

from cli_shell.commands.common import setting
from cli_shell.parser import ParseError, tokenize
from cli_shell.registry import command
from cli_shell.session import Ctx, Session
from emulator.config.pki_sections import (
    CHAIN_KIND,
    SERVER_KIND,
    TRUSTPOINT_KIND,
    CertificateChainSection,
    CertificateServerSection,
    TrustpointSection,
    hex_lines,
)
from emulator.config.section import Section
from emulator.keystore import MAX_MODULUS, MIN_MODULUS, USAGE_TEXT, KeyStore, keystore_of
from emulator.router import Router

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
    for key in ("ip domain name", "ip domain-name"):
        s = router.config.settings.get(key)
        if s is not None and s.line.split()[0] != "no":
            return s.line.split()[-1]
    return None


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
        c.out("% Please answer 'yes' or 'no'.")
    return False


def trustpoint(router: Router, name: str) -> TrustpointSection | None:
    sec = router.config.find(TRUSTPOINT_KIND, (name,))
    return sec if isinstance(sec, TrustpointSection) else None


def trustpoints(router: Router) -> list[TrustpointSection]:
    return [s for s in router.config.sections(TRUSTPOINT_KIND) if isinstance(s, TrustpointSection)]


def certificate_chain(router: Router, name: str, create: bool = False
                      ) -> CertificateChainSection | None:
    """The chain of trustpoint `name`; later issues store enrolled certificates through it."""
    sec = router.config.find(CHAIN_KIND, (name,))
    if sec is None and create:
        sec = router.config.section(CHAIN_KIND, (name,), f"crypto pki certificate chain {name}",
                                    CertificateChainSection)
    return sec if isinstance(sec, CertificateChainSection) else None


def certificate_servers(router: Router) -> list[CertificateServerSection]:
    return [s for s in router.config.sections(SERVER_KIND)
            if isinstance(s, CertificateServerSection)]


def key_generation_lines(bits: int, exportable: bool, elapsed: float) -> list[str]:
    return [f"% Generating {bits} bit RSA keys, keys will be "
            f"{'exportable' if exportable else 'non-exportable'}...",
            f"[OK] (elapsed time was {int(elapsed)} seconds)"]


def generate_key(c: Ctx, store: KeyStore, label: str, bits: int, usage: str,
                 exportable: bool) -> None:
    """Make one key pair and print IOS's progress lines for it."""
    started = time.monotonic()
    store.generate(label, bits, usage, exportable, c.router.clock.now_utc())
    for line in key_generation_lines(bits, exportable, time.monotonic() - started):
        c.out(line)


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
            c.out("% Please define a hostname other than Router.")
            return
        if domain_name(router) is None:
            c.out("% Please define a domain-name first.")
            return
        label = default_key_name(router)
    store = keystore_of(router)
    had_default = store.has(default_key_name(router))
    if store.has(label):
        c.out(f"% You already have RSA keys defined named {label}.")
        if not await ask_yes_no(c, "% Do you really want to replace them? [yes/no]: "):
            return
    exportable = bool(c.args.get("exportable"))
    usages = ["signature", "encryption"] if c.args.get("usage") == "usage-keys" else ["general"]
    c.out(f"The name for the keys will be: {label}")
    modulus = c.args.get("bits")
    if modulus is not None:
        c.out("")
        c.out(f"% The key modulus size is {modulus} bits")
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
            elif re.fullmatch(r"\d+", text) and MIN_MODULUS <= int(text) <= MAX_MODULUS:
                bits = int(text)
            else:
                c.out(f"% You must choose a key modulus in the range of {MIN_MODULUS} to "
                      f"{MAX_MODULUS}.")
                return
        generate_key(c, store, label, bits, usage, exportable)
    if label == default_key_name(router) and not had_default:
        c.log("%SSH-5-ENABLED: SSH 1.99 has been enabled")


for _syntax in _keygen_syntaxes():
    command("config", _syntax, no=False, help=CRYPTO_HELP)(crypto_key_generate)


@command("config", "crypto key zeroize rsa [WORD:label]", no=False, help=CRYPTO_HELP)
async def crypto_key_zeroize(c: Ctx) -> None:
    """`crypto key zeroize rsa [label]`: confirmed removal of one or all key pairs."""
    store = keystore_of(c.router)
    label = c.args.get("label")
    if label is not None and not store.has(label):
        c.out(f"% RSA keypair {label} is not present.")
        return
    if not store.keys:
        return
    if label is None:
        c.out("% All keys will be removed.")
    else:
        c.out(f"% Keys to be removed are named {label}.")
    c.out("% All router certs issued using these keys will also be removed.")
    if not await ask_yes_no(c, "Do you really want to remove these keys? [yes/no]: "):
        return
    default = default_key_name(c.router)
    had_default = store.has(default)
    store.remove(label)
    if had_default and not store.has(default):
        c.log("%SSH-5-DISABLED: SSH 1.99 has been disabled")


def mypubkey_lines(router: Router, label: str | None = None) -> list[str]:
    """`show crypto key mypubkey rsa`: one block per key pair, public key as DER hex."""
    lines: list[str] = []
    for key in keystore_of(router).keys:
        if label is not None and key.label != label:
            continue
        lines.append(f"% Key pair was generated at: {router.clock.cert_stamp(key.generated)}")
        lines.append(f"Key name: {key.label}")
        lines.append("Key type: RSA KEYS")
        lines.append(f" Storage Device: {key.storage}")
        lines.append(f" Usage: {USAGE_TEXT[key.usage]}")
        lines.append(f" Key is {'' if key.exportable else 'not '}exportable.")
        lines.append(" Key Data:")
        lines.extend(hex_lines(key.public_der()))
    return lines


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
            sec.set("shutdown", "shutdown", {"shutdown": True})
    c.enter(CS, sec)


setting(CS, "database level {minimum|names|complete}:level", help=CS_HELP)
setting(CS, "database url URL:url", help=CS_HELP)
setting(CS, "issuer-name LINE:dn", help=CS_HELP)
setting(CS, "lifetime certificate <1-1825>:days", help=CS_HELP)
setting(CS, "lifetime ca-certificate <1-7305>:days", help=CS_HELP)
setting(CS, "lifetime crl <1-336>:hours", help=CS_HELP)
setting(CS, "lifetime enrollment-request <1-1000>:hours", help=CS_HELP)
setting(CS, "mode ra", help=CS_HELP)


@command(CS, "grant {auto|none|ra-auto}:grant", help=CS_HELP)
def cs_grant(c: Ctx) -> None:
    """`grant auto|none|ra-auto`: one setting (each replaces the other); auto is logged."""
    sec: Section = c.target
    if c.no or c.default:
        sec.unset("grant")
        return
    mode = c.args["grant"]
    sec.set("grant", f"grant {mode}", {"grant": mode})
    if mode == "auto":
        c.log("%PKI-6-CS_GRANT_AUTO: All enrollment requests will be automatically granted.")


@command(CS, "shutdown", help=CS_HELP)
async def cs_shutdown(c: Ctx) -> None:
    """`shutdown` stops the server; `no shutdown` runs the start dialogue (spec 5.1)."""
    sec: CertificateServerSection = c.target
    if not (c.no or c.default):
        if not sec.has("shutdown") and sec.started:
            c.log("%PKI-6-CS_DISABLED: Certificate server now disabled.")
        sec.set("shutdown", "shutdown", {"shutdown": True})
        return
    if not sec.has("shutdown"):
        return
    if not sec.started:
        c.out("%Some server settings cannot be changed after CA certificate generation.")
        c.out("% Please enter a passphrase to protect the private key")
        c.out("% or type Return to exit")
        first = await c.ask("Password: ", echo=False)
        if not first:
            return
        c.out("")
        second = await c.ask("Re-enter password: ", echo=False)
        if first != second:
            c.out("% Passwords do not match.")
            return
        store = keystore_of(c.router)
        if not store.has(sec.name):
            generate_key(c, store, sec.name, 1024, "general", False)
        _ca_trustpoint(c.router, sec.name)
        sec.started = True
        hook = getattr(c.router, "start_certificate_server", None)
        if callable(hook):
            hook(sec.name, first)
    sec.unset("shutdown")
    c.out("")
    c.out("% Certificate Server enabled.")
    c.log("%PKI-6-CS_ENABLED: Certificate server now enabled.")


def _ca_trustpoint(router: Router, name: str) -> None:
    """The trustpoint IOS makes for its own CA: same name, `revocation-check crl`, its key."""
    tp = router.config.section(TRUSTPOINT_KIND, (name,), f"crypto pki trustpoint {name}",
                               TrustpointSection)
    if not tp.has("revocation-check"):
        tp.set("revocation-check", "revocation-check crl", {"m1": "crl"})
    if not tp.has("rsakeypair"):
        tp.set("rsakeypair", f"rsakeypair {name}", {"label": name})


def show_server_lines(router: Router) -> list[str]:
    """`show crypto pki server`, in its states before a CA certificate exists (spec 5.2)."""
    lines: list[str] = []
    http = router.config.value("ip http server", "enabled", False)
    for sec in certificate_servers(router):
        running = not sec.has("shutdown")
        lines.append(f"Certificate Server {sec.name}:")
        if not running:
            lines.append("    Status: disabled")
            lines.append("    State: initial" if not sec.started else "    State: disabled")
            lines.append('    Server\'s configuration is unlocked (enter "no shut" to lock it)')
        elif not http:
            lines.append("    Status: disabled, HTTP Server is disabled")
            lines.append("    State: check failed")
            lines.append('    Server\'s configuration is locked  (enter "shut" to unlock it)')
        else:
            lines.append("    Status: enabled")
            lines.append("    State: enabled")
            lines.append('    Server\'s configuration is locked  (enter "shut" to unlock it)')
        lines.append(f"    Issuer name: {sec.value('issuer-name', 'dn', f'CN={sec.name}')}")
        lines.append("    CA cert fingerprint: -Not found-")
        grant = sec.value("grant", "grant", "manual")
        lines.append(f"    Granting mode is: {'manual' if grant == 'none' else grant}")
        url = sec.value("database url", "url", "nvram:")
        lines.append(f"    Current primary storage dir: {url}")
        level = sec.value("database level", "level", "minimum")
        lines.append(f"    Database Level: {DATABASE_LEVELS[level]}")
    return lines


DATABASE_LEVELS = {
    "minimum": "Minimum - no cert data written to storage",
    "names": "Names - subject name data written to storage",
    "complete": "Complete - all issued certs written as <serialnum>.cer",
}


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


setting(TP, "enrollment url URL:url", key="enrollment", help=TP_HELP)
setting(TP, "enrollment terminal [pem]", key="enrollment", help=TP_HELP)
setting(TP, "enrollment selfsigned", key="enrollment", help=TP_HELP)
setting(TP, "enrollment mode ra", key="enrollment mode", help=TP_HELP)
setting(TP, "serial-number [none]", help=TP_HELP)
setting(TP, "ip-address {none|A.B.C.D:addr}", key="ip-address", help=TP_HELP)
setting(TP, "password [{0|7}:ptype] LINE:pw", key="password", help=TP_HELP)
setting(TP, "subject-name LINE:dn", help=TP_HELP)
setting(TP, "revocation-check {crl|none|ocsp}:m1 [{crl|none|ocsp}:m2 [{crl|none|ocsp}:m3]]",
        key="revocation-check", help=TP_HELP)
setting(TP, "rsakeypair WORD:label [<360-4096>:size [<360-4096>:enc]]", key="rsakeypair",
        help=TP_HELP)


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
        url = tp.value("enrollment", "url")
        if url and url.lower().startswith("http"):
            lines.append(f"    SCEP URL: {url}/cgi-bin")
    return lines


@command("exec", "show crypto pki trustpoints",
         help={"crypto": "Encryption module", "pki": "Show PKI",
               "trustpoints": "Show trustpoints"})
def show_pki_trustpoints(c: Ctx) -> None:
    for line in show_trustpoint_lines(c.router):
        c.out(line)


@command("exec", "show crypto pki server",
         help={"crypto": "Encryption module", "pki": "Show PKI",
               "server": "Show Certificate Server status"})
def show_pki_server(c: Ctx) -> None:
    for line in show_server_lines(c.router):
        c.out(line)


# --------------------------------------------------------------------------------------------
# crypto pki authenticate / enroll (global config, as the CME guides type them)


def _no_ca_answer(c: Ctx) -> None:
    c.out("% Error in receiving Certificate Authority certificate: status = FAIL, "
          "cert length = 0")
    c.log("%PKI-3-SOCKETSEND: Failed to send out message to CA server.")


@command("config", "crypto pki authenticate WORD:name", no=False,
         help={**CRYPTO_HELP, "name": "Trustpoint name"})
async def crypto_pki_authenticate(c: Ctx) -> None:
    """No CA answers yet (a later issue adds the CA), so IOS's unreachable-CA text."""
    if trustpoint(c.router, c.args["name"]) is None:
        c.out("% Trustpoint not found")
        return
    _no_ca_answer(c)


@command("config", "crypto pki enroll WORD:name", no=False,
         help={**CRYPTO_HELP, "name": "Trustpoint name"})
async def crypto_pki_enroll(c: Ctx) -> None:
    """As `authenticate`: the CA certificate is fetched first and nothing answers yet."""
    if trustpoint(c.router, c.args["name"]) is None:
        c.out("% Trustpoint not found")
        return
    _no_ca_answer(c)


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
        except ValueError:
            session.emit("% Certificate data is not a valid certificate; "
                         f"certificate {self.serial} not stored.\n")
            return
        self.chain.put(self.serial, self.ca, der)
        session.config_changed = True
        session.router.mark_changed(session.user)


@command(CHAIN, "certificate [ca] HEX:serial", help=CHAIN_HELP)
def chain_certificate(c: Ctx) -> None:
    """`certificate [ca] SERIAL` opens the hex paste; `no certificate ...` removes it."""
    chain: CertificateChainSection = c.target
    serial = c.args["serial"]
    ca = bool(c.args.get("ca"))
    if c.no or c.default:
        chain.remove(serial, ca)
        return
    c.enter("config-pubkey", CertificatePaste(chain, serial, ca))
