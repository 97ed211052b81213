"""Phone configuration files: `create cnf-files`, `load-cfg-file` and `tftp-server` bindings.

`create cnf-files` builds `SEP<MAC>.cnf.xml` for every ephone with a MAC address and
`XMLDefault.cnf.xml` (spec §5), signs each as `.sgn` (spec §3) with the
`tftp-server-credentials` trustpoint when one is set, and publishes them in one swap. The files
are snapshots: later configuration changes reach phones only at the next `create cnf-files`.

With `cnf-file perphone` each ephone's file carries its own settings (security mode, template,
pending CAPF operation). Without it CME builds shared per-system files; here those carry only
telephony-service's settings and are bound under each phone's name.

Error texts marked [U] are this lab's choice: no capture of IOS's own was found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cucme_lab.router.capf import model as capf_model
from cucme_lab.router.capf.config import CapfServerBlock, capf_server
from cucme_lab.router.pki import credentials as creds
from cucme_lab.router.provisioning.tftp_table import TftpEntry
from cucme_lab.router.router import Router
from cucme_lab.router.storage import FlashPathError, atomic_write
from cucme_lab.router.telephony import settings as tm
from cucme_lab.wire.cnf_xml import _VENDOR_ITEMS as VENDOR_ITEMS  # element, attribute, kind
from cucme_lab.wire.cnf_xml import (
    CAPF_PORT,
    CallManager,
    CapfServer,
    DeviceConfig,
    VendorConfig,
    build_cnf_xml,
    cnf_filename,
)
from cucme_lab.wire.sgn import sign_file

SECURITY_MODE = {"none": 1, "authenticated": 2, "encrypted": 3}
CAPF_AUTH_MODE = {"auth-string": 1, "null-string": 2, "lsc": 3, "mic": 4}
SYSTEM_DIR = "system:/its/"
DEFAULT_CNF = "XMLDefault.cnf.xml"


class ProvisioningError(Exception):
    """An IOS-style error line; nothing was published."""


@dataclass(frozen=True)
class Signer:
    trustpoint: str
    credentials: creds.Credentials

    def sign(self, router: Router, content: bytes, name: str) -> bytes:
        when = int(router.clock.now_utc().timestamp())
        return sign_file(content, name, self.credentials.certificate,
                         self.credentials.private_key, timestamp=when)


def tftp_signer(router: Router, ts: tm.TelephonyService | None) -> Signer | None:
    """The `tftp-server-credentials` signer, None when unset; ProvisioningError if unusable."""
    if ts is None or ts.tftp_server_trustpoint is None:
        return None
    try:
        return Signer(ts.tftp_server_trustpoint,
                      creds.credentials(router, ts.tftp_server_trustpoint))
    except creds.MissingCredentials as exc:
        raise ProvisioningError(f"% TFTP server credentials: {exc}") from None  # [U]


# --- cnf.xml content -------------------------------------------------------------------------


def vendor_config(params: dict[str, str]) -> VendorConfig | None:
    """`service phone NAME VALUE` pairs as `<vendorConfig>`: known items typed, others as is."""
    if not params:
        return None
    known = {tag: (attr, kind) for tag, attr, kind in VENDOR_ITEMS}
    values: dict[str, object] = {}
    extra: dict[str, str] = {}
    for name, text in params.items():
        attr, kind = known.get(name, (None, str))
        if attr is None:
            extra[name] = text
        elif kind is bool and text.lower() in ("true", "false"):
            values[attr] = text.lower() == "true"
        elif kind is int and text.isdigit():
            values[attr] = int(text)
        elif kind is str:
            values[attr] = text
        else:
            extra[name] = text  # IOS takes any text; the phone decides what it makes of it
    return VendorConfig(**values, extra=extra)


def _capf(router: Router, ts: tm.TelephonyService
          ) -> tuple[CapfServerBlock | None, str | None, int]:
    capf = capf_server(router.config)
    if capf is None:
        return None, None, CAPF_PORT
    return capf, capf.source_address or ts.source_address, capf.port or CAPF_PORT


def device_config(router: Router, ts: tm.TelephonyService, ep: tm.Ephone | None,
                  stamp: str | None, perphone: bool,
                  templates: dict[int, tm.EphoneTemplate] | None = None) -> DeviceConfig:
    """The `<device>` of one phone (`ep`), or of XMLDefault.cnf.xml (`ep` None).

    Same rules as `telephony_model.effective_security_mode` / `effective_service_phone` (the
    ephone's own mode, else the global one; global `service phone` values overridden by the
    ephone's template), computed from `ts` read once for the whole fleet.
    """
    own = ep if (ep is not None and perphone) else None
    mode = ts.device_security_mode
    params = dict(ts.service_phone)
    if own is not None:
        mode = own.device_security_mode or mode
        if own.template is not None:
            if templates is None:
                templates = tm.ephone_templates(router.config)
            template = templates.get(own.template)
            if template is not None:
                params.update(template.service_phone)
    config = DeviceConfig(
        device_protocol="SCCP",
        call_managers=[CallManager(ts.source_address, 0, ethernet_phone_port=ts.port)],
        version_stamp=stamp,
        # §5: 2 or 3 makes an SCCP phone open TLS on 2443; the file keeps port 2000.
        device_security_mode=SECURITY_MODE.get(mode, 1),
        vendor_config=vendor_config(params),
    )
    capf_sec, capf_addr, capf_port = _capf(router, ts)
    if capf_sec is None:
        return config
    if own is not None:
        auth = capf_model.operation_pending(router, capf_sec, own)
    else:  # a shared file: the global operation, for every phone that reads it
        auth = capf_sec.auth_mode if capf_sec.cert_oper is not None else None
    pending = auth is not None and auth.lower() in CAPF_AUTH_MODE
    if pending:
        config.capf_auth_mode = CAPF_AUTH_MODE[auth.lower()]
    if pending or (own is not None and own.capf_ip_in_cnf):
        config.capf_servers = [CapfServer(capf_addr, capf_port)]
    return config


# --- create cnf-files ------------------------------------------------------------------------


def create_cnf_files(router: Router, stamp: str | None) -> list[str]:
    """Build, sign and publish every phone's files; returns lines to print (errors)."""
    ts = tm.telephony_service(router.config)
    if ts is None:
        return []
    perphone = ts.cnf_file == "perphone"
    phones = [ep for ep in tm.ephones(router.config) if ep.mac is not None]
    try:
        signer = tftp_signer(router, ts)
    except ProvisioningError as exc:
        return [str(exc)]
    messages: list[str] = []
    templates = tm.ephone_templates(router.config)
    for ep in phones:
        mode = (ep.device_security_mode or ts.device_security_mode) if perphone \
            else ts.device_security_mode
        if mode != "none" and signer is None:
            return [f"% ephone {ep.tag} is in {mode} mode: signed configuration files need "
                    "tftp-server-credentials trustpoint"]  # [U]
        if not perphone and ep.device_security_mode is not None:
            messages.append(f"% ephone {ep.tag}: per-phone security needs cnf-file perphone")
    where = SYSTEM_DIR
    location = ts.cnf_file_location
    files: list[tuple[str, bytes, str]] = []  # name, data, source
    default = build_cnf_xml(device_config(router, ts, None, stamp, perphone))
    files.append((DEFAULT_CNF, default, where + DEFAULT_CNF))
    for ep in phones:
        name = cnf_filename(ep.mac)
        if perphone:
            content = build_cnf_xml(device_config(router, ts, ep, stamp, True, templates))
            files.append((name, content, where + name))
        else:
            files.append((name, default, where + DEFAULT_CNF))
    entries: list[TftpEntry] = []
    for name, content, source in files:
        entries.append(TftpEntry(name, content, source))
        if signer is not None:
            signed_name = name + ".sgn"
            entries.append(TftpEntry(signed_name, signer.sign(router, content, signed_name),
                                     source + ".sgn"))
    if location and location.lower().startswith("flash"):
        for entry in entries:
            try:
                atomic_write(router.storage.flash_path(entry.name), entry.data)
            except (FlashPathError, OSError) as exc:
                return messages + [f"%Error writing flash:{entry.name} ({exc})"]
    router.provisioning.publish("cnf", entries)
    return messages


def refresh_phone_files(router: Router, devices: Iterable[str]) -> None:
    """Build these phones' files again once their CAPF operation completed: the pending
    operation leaves each file (as the ephone's `cert-oper` line leaves running-config), so the
    phone's next boot goes straight to registration. Only files `create cnf-files` published
    change, each in its place, all in one step.
    """
    ts = tm.telephony_service(router.config)
    if ts is None or ts.cnf_file != "perphone":
        return
    wanted: dict[str, tm.Ephone] = {}
    for device in devices:
        ep = capf_model.ephone_section(router, device)
        if ep is not None and ep.mac is not None:
            wanted[cnf_filename(ep.mac)] = ep
    table = router.provisioning.table
    present = {name: (table.find("cnf", name), table.find("cnf", name + ".sgn"))
               for name in wanted}
    if not any(plain or signed for plain, signed in present.values()):
        return
    try:
        signer = tftp_signer(router, ts)
    except ProvisioningError:
        return
    fresh: list[TftpEntry] = []
    for name, (plain, signed) in present.items():
        if plain is None and signed is None:
            continue
        content = build_cnf_xml(device_config(router, ts, wanted[name], ts.version_stamp, True))
        if plain is not None:
            fresh.append(TftpEntry(name, content, plain.source))
        if signed is not None and signer is not None:
            fresh.append(TftpEntry(signed.name, signer.sign(router, content, signed.name),
                                   signed.source))
    router.provisioning.replace("cnf", fresh)


# --- load-cfg-file ---------------------------------------------------------------------------


def _read(router: Router, name: str) -> bytes | None:
    try:
        return router.storage.read_flash(name)
    except FlashPathError:
        return None


def _not_found(name: str) -> str:
    return f"%Error opening {name} (No such file or directory)"


def load_cfg_file(router: Router, file: str, alias: str, sign: bool, create: bool
                  ) -> list[str]:
    """`load-cfg-file FILE alias NAME [sign] [create]`: sign/create, then republish all.

    With `sign create` the signed copy is written to flash as FILE.sgn (IOS keeps `create` out
    of running-config so a reload does not sign again); with `sign` alone that copy must
    already be there. The alias is served plain and, when signed, as NAME.sgn.
    """
    messages: list[str] = []
    data = _read(router, file)
    if data is None:
        messages.append(_not_found(file))
    elif sign and create:
        try:
            signer = tftp_signer(router, tm.telephony_service(router.config))
        except ProvisioningError as exc:
            signer = None
            messages.append(str(exc))
        else:
            if signer is None:
                messages.append("% tftp-server-credentials trustpoint is not configured: "
                                f"cannot sign {file}")  # [U]
        if signer is not None:
            atomic_write(router.storage.flash_path(file + ".sgn"),
                         signer.sign(router, data, alias + ".sgn"))
    elif sign and _read(router, file + ".sgn") is None:
        messages.append(_not_found(file + ".sgn"))
    republish_load_cfg(router)
    return messages


def republish_load_cfg(router: Router) -> None:
    """The `load-cfg` group from every `load-cfg-file` line whose flash files exist."""
    ts = tm.telephony_service(router.config)
    entries: list[TftpEntry] = []
    for file, alias, sign in (ts.load_cfg_files if ts is not None else []):
        data = _read(router, file)
        if data is None:
            continue
        entries.append(TftpEntry(alias, data, file))
        if sign:
            signed = _read(router, file + ".sgn")
            if signed is not None:
                entries.append(TftpEntry(alias + ".sgn", signed, file + ".sgn"))
    router.provisioning.publish("load-cfg", entries)


# --- tftp-server bindings --------------------------------------------------------------------


def republish_bindings(router: Router) -> None:
    """The `bindings` group from the global `tftp-server FILE [alias NAME]` lines.

    IOS reads a bound file when it is asked for; the lab snapshots it when the line is typed
    and whenever flash changes through the shell (`copy`, `delete`), which a phone cannot tell
    apart.
    """
    entries: list[TftpEntry] = []
    for binding in router.config.tftp_bindings.values():
        data = _read(router, binding.file)
        if data is None:
            continue
        entries.append(TftpEntry(binding.name, data, binding.file))
    router.provisioning.publish("bindings", entries)
