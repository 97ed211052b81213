"""Provisioning commands: `copy` between flash, TFTP and the configurations, `tftp-server`
bindings, `show telephony-service tftp-bindings` and `debug ctl-client`.

The CTL client's `regenerate` (cme_security.py) and `create cnf-files` / `load-cfg-file`
(telephony.py) call `router.provisioning` directly. Texts marked [U] are this lab's choice.
"""

from __future__ import annotations

import ipaddress
import re
import time

from cucme_lab.router.config.interfaces import interfaces
from cucme_lab.router.config.provisioning import TftpBinding
from cucme_lab.router.provisioning import cnf as cnf_files
from cucme_lab.router.provisioning.ctl import DEBUG_FLAG
from cucme_lab.router.provisioning.tftp_table import published
from cucme_lab.router.storage import FlashPathError
from cucme_lab.services import tftp_client
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

COPY_HELP = {
    "copy": "Copy from one file to another",
    "running-config": "Copy from current system configuration",
    "startup-config": "Copy from startup configuration",
    "src": "Source file (flash:, tftp:)",
    "dst": "Destination file (flash:, tftp:)",
}
TFTP_ERRORS = {1: "No such file or directory", 2: "Permission denied", None: "Timed out"}


class CopyError(Exception):
    pass


def _copied(c: Ctx, size: int, started: float) -> None:
    elapsed = max(time.perf_counter() - started, 0.001)
    c.out(f"{size} bytes copied in {elapsed:.3f} secs ({int(size / elapsed)} bytes/sec)")


def _tftp_parts(url: str) -> tuple[str, str]:
    m = re.fullmatch(r"tftp://([^/]*)/?(.*)", url, re.IGNORECASE)
    if not m:
        raise CopyError(f"%Error parsing filename {url}")
    return m.group(1), m.group(2)


def _flash_name(url: str) -> str:
    return re.sub(r"^flash\d?:", "", url, flags=re.IGNORECASE).lstrip("/")


def _kind(url: str) -> str:
    low = url.lower()
    if low.startswith("tftp://"):
        return "tftp"
    if re.match(r"flash\d?:", low):
        return "flash"
    return "other"


async def _tftp_get(c: Ctx, url: str) -> bytes:
    host, path = _tftp_parts(url)
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        raise CopyError(f"%Error opening {url} (Unknown host)") from None  # [U]
    c.out(f"Accessing {url}...")
    router = c.router
    try:
        data = await tftp_client.download(router.addresses.to_loopback(host),
                                          router.addresses.port(69), path, retries=3)
    except tftp_client.TftpError as exc:
        raise CopyError(f"%Error opening {url} "
                        f"({TFTP_ERRORS.get(exc.code, 'Undefined error')})") from None
    c.out(f"Loading {path} from {host} (via {_egress(c)}): !")
    c.out(f"[OK - {len(data)} bytes]")
    c.out("")
    return data


def _egress(c: Ctx) -> str:
    """The interface IOS names in `Loading ... (via X)`: the first one with an address."""
    for sec in interfaces(c.router.config):
        if sec.address is not None:
            return sec.name
    return "FastEthernet0/0"


async def _tftp_put(c: Ctx, url: str, data: bytes) -> None:
    host, path = _tftp_parts(url)
    answer = await c.ask(f"Address or name of remote host [{host}]? ")
    if answer is None:
        raise CopyError("")
    host = answer.strip() or host
    answer = await c.ask(f"Destination filename [{path}]? ")
    if answer is None:
        raise CopyError("")
    path = answer.strip() or path
    target = f"tftp://{host}/{path}"
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        raise CopyError(f"%Error opening {target} (Unknown host)") from None  # [U]
    try:
        await tftp_client.upload(c.router.addresses.to_loopback(host),
                                 c.router.addresses.port(69), path, data, retries=3)
    except tftp_client.TftpError as exc:
        raise CopyError(f"%Error opening {target} "
                        f"({TFTP_ERRORS.get(exc.code, 'Undefined error')})") from None
    c.out("!!")


def _read_flash(c: Ctx, url: str) -> bytes:
    try:
        data = c.router.storage.read_flash(_flash_name(url))
    except FlashPathError:
        data = None
    if data is None:
        raise CopyError(f"%Error opening {url} (No such file or directory)")
    return data


async def _read(c: Ctx, url: str) -> bytes:
    kind = _kind(url)
    if kind == "flash":
        return _read_flash(c, url)
    if kind == "tftp":
        return await _tftp_get(c, url)
    raise CopyError(f"%Error opening {url} (Protocol not supported)")  # [U]


async def _write(c: Ctx, url: str, data: bytes, default_name: str) -> bool:
    """Write to flash (asking the name, confirming an overwrite) or TFTP; False if declined."""
    kind = _kind(url)
    if kind == "tftp":
        await _tftp_put(c, url, data)
        return True
    if kind != "flash":
        raise CopyError(f"%Error opening {url} (Protocol not supported)")  # [U]
    name = _flash_name(url) or default_name
    answer = await c.ask(f"Destination filename [{name}]? ")
    if answer is None:
        return False
    name = _flash_name(answer.strip()) or name
    storage = c.router.storage
    try:
        path = storage.flash_path(name)
    except FlashPathError:
        raise CopyError(f"%Error opening flash:{name} (Invalid argument)") from None
    if path.exists():
        c.out("%Warning:There is a file already existing with this name")  # [M]
        if not await c.confirm("Do you want to over write? [confirm]"):
            return False
    storage.write_flash(name, data)
    cnf_files.republish_bindings(c.router)  # bound files are read again, as IOS reads them
    return True


def _basename(url: str) -> str:
    if _kind(url) == "tftp":
        return _tftp_parts(url)[1].rsplit("/", 1)[-1]
    return _flash_name(url).rsplit("/", 1)[-1]


@command("exec", "copy running-config URL:dst", help=COPY_HELP)
async def copy_running_out(c: Ctx) -> None:
    await _copy_config_out(c, running=True)


@command("exec", "copy startup-config URL:dst", help=COPY_HELP)
async def copy_startup_out(c: Ctx) -> None:
    await _copy_config_out(c, running=False)


async def _copy_config_out(c: Ctx, running: bool) -> None:
    """Save a configuration to a flash file or a TFTP server."""
    if running:
        text = c.router.startup_config_text()
    else:
        text = c.router.startup_config()
        if text is None:
            c.out("%Error opening nvram:startup-config (No such file or directory)")  # [M]
            return
    data = text.encode()
    started = time.perf_counter()
    try:
        if not await _write(c, c.args["dst"], data,
                            "running-config" if running else "startup-config"):
            return
    except CopyError as exc:
        if str(exc):
            c.out(str(exc))
        return
    _copied(c, len(data), started)


@command("exec", "copy URL:src {running-config|startup-config}:cfg", help=COPY_HELP)
async def copy_config_in(c: Ctx) -> None:
    """Merge a file into running-config, or make it the startup-config."""
    target = c.args["cfg"]
    answer = await c.ask(f"Destination filename [{target}]? ")
    if answer is None:
        return
    started = time.perf_counter()
    try:
        data = await _read(c, c.args["src"])
    except CopyError as exc:
        c.out(str(exc))
        return
    text = data.decode("utf-8", errors="replace")
    if target == "startup-config":
        c.router.storage.write_nvram("startup-config", text)
        c.out("[OK]")
    else:
        from cucme_lab.shell.boot import apply_config

        await apply_config(c.router, text, c.session.commands)
        c.router.mark_changed(c.session.user)
    _copied(c, len(data), started)


@command("exec", "copy URL:src URL:dst", help=COPY_HELP)
async def copy_file(c: Ctx) -> None:
    """flash to flash, TFTP to flash, flash to TFTP."""
    src, dst = c.args["src"], c.args["dst"]
    if _kind(src) == "tftp" and _kind(dst) == "tftp":
        c.out(f"%Error opening {dst} (Protocol not supported)")  # [U]
        return
    started = time.perf_counter()
    try:
        if _kind(dst) == "flash":
            # IOS asks for the destination name before it opens the source.
            name = _flash_name(dst) or _basename(src)
            answer = await c.ask(f"Destination filename [{name}]? ")
            if answer is None:
                return
            name = _flash_name(answer.strip()) or name
            data = await _read(c, src)
            if _kind(src) == "flash":
                c.out("Copy in progress...C")
            try:
                path = c.router.storage.flash_path(name)
            except FlashPathError:
                c.out(f"%Error opening flash:{name} (Invalid argument)")  # [M]
                return
            if path.exists():
                c.out("%Warning:There is a file already existing with this name")  # [M]
                if not await c.confirm("Do you want to over write? [confirm]"):
                    return
            c.router.storage.write_flash(name, data)
            cnf_files.republish_bindings(c.router)
        else:
            data = await _read(c, src)
            if not await _write(c, dst, data, _basename(src)):
                return
    except CopyError as exc:
        if str(exc):
            c.out(str(exc))
        return
    _copied(c, len(data), started)


# --- tftp-server bindings --------------------------------------------------------------------

TFTP_HELP = {"tftp-server": "Provide TFTP service for netload requests",
             "file": "File to serve", "alias": "file alias", "name": "Alias name"}


@command("config", "tftp-server FLASHFILE:file [alias WORD:alias]", help=TFTP_HELP,
         no="tftp-server FLASHFILE:file [alias WORD:alias]")
def tftp_server(c: Ctx) -> None:
    """Serve a flash file over TFTP under its name or an alias (a line per binding).

    `no tftp-server FILE` drops every binding of the file; with `alias NAME`, that one.
    """
    file, alias = c.args["file"], c.args.get("alias")
    bindings = c.router.config.tftp_bindings
    if c.no or c.default:
        for key in [k for k in bindings if k[0] == file and alias in (None, k[1])]:
            del bindings[key]
    else:
        bindings[(file, alias)] = TftpBinding(file, alias)
    cnf_files.republish_bindings(c.router)


# [D] specs/ios-cli.md 6.7; the per-phone and signed bindings' lines [M]
@command("exec", "show telephony-service tftp-bindings",
         help={"telephony-service": "Show telephony-service information",
               "tftp-bindings": "Show TFTP bindings of the CME system"})
def show_tftp_bindings(c: Ctx) -> None:
    for entry in published(c.router).entries():
        c.out(entry.binding_line())


# --- debug ctl-client ------------------------------------------------------------------------

DEBUG_HELP = {"debug": "Debugging functions (see also 'undebug')",
              "ctl-client": "CTL Client debugging"}


@command("exec", "debug ctl-client", help=DEBUG_HELP)
def debug_ctl_client(c: Ctx) -> None:
    c.router.debug.enable(DEBUG_FLAG, "CTL Client debugging is on")
    c.out("CTL Client debugging is on")  # [U]


@command("exec", "no debug ctl-client", help=DEBUG_HELP)
@command("exec", "undebug ctl-client", help=DEBUG_HELP)
def no_debug_ctl_client(c: Ctx) -> None:
    c.router.debug.disable(DEBUG_FLAG)
    c.out("CTL Client debugging is off")  # [U]
