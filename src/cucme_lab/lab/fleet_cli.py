"""`cucme-phones`: a fleet of simulated phones against a lab's router.

    cucme-phones --lab DIR -n 200                   attach to a running lab (its lab.json)
    cucme-phones --labfile lab.yaml -n 200          start a lab in this process, then the fleet
    options: --mac-start 0000.0000.0001 --models 7965:3,7970:1 --until registered
             --timeout 120 --processes 2 --json out.json --quiet
             --calls N --call-seconds S    then N concurrent calls between pairs of phones
             --remote SPEC                 phones on another host or namespace (execnet)

Phones get consecutive MACs and addresses in the router's SCCP subnet; the progress bar counts
phones by state; at the end a table gives each outcome and the timings of each boot stage. With
`--processes N` the phones run in N worker processes (one trio process saturates one core, see
DESIGN.md section 10), which attach to the lab through its lab.json.

With `--calls N`, once every phone is registered, phone 1 calls phone 2, 3 calls 4, ... (N
pairs at once; each worker process pairs its own phones), each callee answers, and each call is
held S seconds with media before the caller hangs up. The phones need lines (the fleet lab's
`auto assign`). The summary and the JSON (`calls`) report setups, calls connected, media
packets sent, received and lost, SRTP authentication failures and how many calls were SRTP.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from cucme_lab.lab.addresses import AddressPlan
from cucme_lab.lab.forked_workers import ForkedWorker, fork_workers, gather, read_json_lines
from cucme_lab.lab.manifest import read_manifest
from cucme_lab.lab.real_addresses import RealAddresses
from cucme_lab.lab.remote_fleet import run_remote
from cucme_lab.lab.yamlnodes import SchemaError
from cucme_lab.netio.runtime import tune_for_many_connections
from cucme_lab.phones.spec import PhoneSpec

if TYPE_CHECKING:
    from cucme_lab.phones.phone import Phone, PhoneNetwork

STAGES = ("configuring", "enrolling", "registering", "registered")
# seconds between looks at the phones' states: a fleet is done at most this long before it
# knows (counting 500 phones' states takes about 50 us)
PROGRESS_POLL = 0.05


@dataclass
class Plan:
    """Where things are, from a lab's manifest: its services, and its loopback address plan
    (the lab's own AddressPlan, rebuilt from what lab.json says of it)."""

    addresses: AddressPlan | RealAddresses
    services: list[dict]

    @classmethod
    def from_manifest(cls, lab_dir: Path) -> Plan:
        return cls.from_dict(json.loads((Path(lab_dir) / "lab.json").read_text()))

    @classmethod
    def from_dict(cls, data: dict) -> Plan:
        """The plan of a manifest read here or sent from another host (`--remote`)."""
        net = data.get("network", {})
        privileged_ok = not int(net.get("privileged_ports_moved_by", 0))
        addresses: AddressPlan | RealAddresses
        if net.get("mode") == "real":
            addresses = RealAddresses(privileged_ok=privileged_ok)
        else:
            addresses = AddressPlan(
                base=int(net.get("loopback_base", "127.20.0.0/16").split(".")[1]),
                subnets=[ipaddress.IPv4Network(s) for s in net.get("subnets", [])],
                privileged_ok=privileged_ok)
        return cls(addresses, data.get("services", []))

    def route(self, address: str, port: int) -> tuple[str, int]:
        for s in self.services:
            if s["configured_address"] == address and s["configured_port"] == port:
                return s["bound_address"], s["bound_port"]
        return self.addresses.to_loopback(address), self.addresses.port(port)

    def tftp(self) -> tuple[str, int]:
        for s in self.services:
            if s["name"] == "tftp":
                return s["bound_address"], s["bound_port"]
        raise ValueError("the lab has no TFTP server running (is it up? see its lab.json)")

    def sccp_address(self) -> str:
        for s in self.services:
            if s["name"] == "sccp":
                return s["configured_address"]
        return "10.0.0.1"


def specs(count: int, mac_start: str, models: str, first_address: str) -> list[PhoneSpec]:
    mac0 = int(mac_start.replace(".", ""), 16)
    mix: list[str] = []
    for part in models.split(","):
        name, _, weight = part.partition(":")
        mix += [name] * int(weight or 1)
    addr0 = int(ipaddress.IPv4Address(first_address))
    out = []
    for i in range(count):
        host = addr0 + i + (i // 230) * 26  # 230 phones a /24: hosts .21 to .250
        mac = f"{mac0 + i:012X}"
        out.append(PhoneSpec(f"{mac[:4]}.{mac[4:8]}.{mac[8:]}", mix[i % len(mix)],
                             str(ipaddress.IPv4Address(host))))
    return out


def result_of(phone: Phone) -> dict:
    return {"mac": phone.mac, "model": phone.model.name, "address": phone.network.address,
            "state": phone.state, "security": phone.security, "status": phone.last_status,
            "timings": phone.timings}


async def run_fleet(plan_network, phone_specs: list[PhoneSpec], folder: Path, until: str,
                    timeout: float, progress, calls: int = 0, call_seconds: float = 5.0
                    ) -> tuple[list[dict], list[dict]]:
    """The phones' results, and the calls' when `calls` were asked (once all reached
    `until`)."""
    from cucme_lab.phones.fleet import Fleet, run_calls  # a process that runs phones

    fleet = Fleet(folder, plan_network)
    call_results: list[dict] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(fleet.run)
        phones = [fleet.add(spec) for spec in phone_specs]
        nursery.start_soon(fleet.power_on_paced, phones)
        with trio.move_on_after(timeout):
            while True:
                counts = Counter(p.state for p in phones)
                progress(counts)
                if counts[until] == len(phones):
                    break
                await trio.sleep(PROGRESS_POLL)
        counts = Counter(p.state for p in phones)
        progress(counts)
        if calls and counts[until] == len(phones):
            call_results = await run_calls(phones, calls, call_seconds)
        results = [result_of(p) for p in phones]
        nursery.cancel_scope.cancel()
    return results, call_results


def bar(counts: Counter, total: int, started: float) -> str:
    done = counts.get("registered", 0)
    width = 30
    filled = int(width * done / max(total, 1))
    others = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "registered")
    return (f"\r[{'#' * filled}{'.' * (width - filled)}] registered {done}/{total} "
            f"{others}  {time.monotonic() - started:5.1f}s ")


def summary(results: list[dict], wall: float) -> str:
    lines = [f"{len(results)} phones in {wall:.2f} s", "", f"{'phones':>7}  outcome"]
    for (state, security, status), n in Counter(
            (r["state"], r["security"], r["status"]) for r in results).most_common():
        lines.append(f"{n:>7}  {state} / {security}: {status}")
    return "\n".join(lines) + "\n" + stage_table(results)


def call_summary(report: dict, seconds: float) -> str:
    m = report["media"]
    lines = [f"calls: {report['setups']} set up, {report['connected']} connected, "
             f"{report['failed']} failed, {report['srtp']} SRTP; held {seconds:g} s",
             f"media: sent {m['sent']} received {m['received']} lost {m['lost']} "
             f"({m['loss_percent']:g}%) auth failures {m['auth_failures']}",
             f"setup median {report['setup_seconds']['median']} s, max "
             f"{report['setup_seconds']['max']} s"]
    lines += [f"{n:>7}  {error}" for error, n in report["errors"].items()]
    return "\n".join(lines) + "\n"


def stage_table(results: list[dict]) -> str:
    lines: list[str] = []
    lines += ["", f"{'stage':<14}{'median s':>10}{'p95 s':>10}{'phones':>8}"]
    for stage in STAGES:
        values = sorted(r["timings"][stage] for r in results if stage in r["timings"])
        if values:
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            lines.append(f"{stage:<14}{statistics.median(values):>10.3f}{p95:>10.3f}"
                         f"{len(values):>8}")
    return "\n".join(lines) + "\n"


# --- attaching to a running lab, in one process or several ---------------------------------

def attached_network(plan: Plan):
    from cucme_lab.phones.phone import PhoneNetwork  # a process that runs phones

    def network(spec: PhoneSpec) -> PhoneNetwork:
        return PhoneNetwork(spec.address, plan.addresses.to_loopback(spec.address), plan.tftp,
                            plan.route, plan.addresses.port)
    return network


Outcome = tuple[list[dict], list[dict]]  # the phones' results, the calls'


async def attach(args: argparse.Namespace, phone_specs: list[PhoneSpec], progress,
                 manifest: dict | None = None) -> Outcome:
    """Run `phone_specs` against the lab of `args.lab`, or of `manifest` when it was sent."""
    plan = Plan.from_dict(manifest) if manifest is not None else Plan.from_manifest(args.lab)
    async with AsyncExitStack() as stack:
        # no --store (a remote worker's; a local run's coordinator made one): the phones'
        # flash lives as long as they do
        folder = (Path(args.store) if args.store
                  else await stack.enter_async_context(scratch_folder("cucme-phones-")))
        return await run_fleet(attached_network(plan), phone_specs, folder, args.until,
                               args.timeout, progress, args.calls, args.call_seconds)


@asynccontextmanager
async def scratch_folder(prefix: str) -> AsyncIterator[Path]:
    """A temporary folder for this run only, removed (off the event loop) when it ends: a
    remote worker's flash without --store, the lab of --labfile. Each run left one behind
    before, a thousand phones' files at a time."""
    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        yield Path(folder)
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(shutil.rmtree, folder, True)


def worker_main(args: argparse.Namespace) -> int:
    """One spawned worker process: its share of the phones from standard input; progress and
    results as JSON lines on standard output."""
    phone_specs = [PhoneSpec(**s) for s in json.loads(sys.stdin.read())]
    run_worker(args, phone_specs, lambda message: print(json.dumps(message), flush=True))
    return 0


def run_worker(args: argparse.Namespace, phone_specs: list[PhoneSpec],
               emit: Callable[[dict], None], manifest: dict | None = None) -> None:
    """A worker's share of the fleet, spawned, forked or remote: `emit` gets a progress
    message whenever the counts change, then the results."""
    last: dict = {}

    def progress(counts: Counter) -> None:  # a line when the counts changed, not every tick
        nonlocal last
        if dict(counts) != last:
            last = dict(counts)
            emit({"progress": last})

    results, calls = trio.run(attach, args, phone_specs, progress, manifest)
    emit({"results": results, "calls": calls})


def serve_channel(channel) -> None:
    """A remote worker (`--remote`): its share of the phones, the manifest and the options come
    over an execnet channel; progress and results go back as a local worker prints them."""
    request = json.loads(channel.receive())
    args = argparse.Namespace(**request["options"])
    phone_specs = [PhoneSpec(**s) for s in request["phones"]]
    tune_for_many_connections()
    run_worker(args, phone_specs, lambda message: channel.send(json.dumps(message)),
               request["manifest"])


def share_options(args: argparse.Namespace, i: int, calls: int) -> argparse.Namespace:
    """The options worker `i` runs its share with: its own calls and flash folder."""
    return argparse.Namespace(**{**vars(args), "calls": calls,
                                 "store": Path(args.store) / f"w{i}" if args.store else None})


def _run_forked_share(args: argparse.Namespace, calls_each: list[int], i: int,
                      share: list[PhoneSpec], emit: Callable[[dict], None]) -> None:
    run_worker(share_options(args, i, calls_each[i]), share, emit)


def call_shares(calls: int, shares: list[list[PhoneSpec]]) -> list[int]:
    """How many of `calls` each worker makes between its own phones (pairs within a share)."""
    out, left = [], calls
    for share in shares:
        out.append(min(len(share) // 2, left))
        left -= out[-1]
    if left:
        raise ValueError(f"{calls} calls need {2 * calls} phones paired within each of "
                         f"{len(shares)} processes")
    return out


def split(phone_specs: list[PhoneSpec], workers: int) -> list[list[PhoneSpec]]:
    return [phone_specs[i::workers] for i in range(workers)]


class Gathered:
    """What the workers report, merged: progress summed over them, results and calls joined."""

    def __init__(self, workers: int, progress: Callable[[Counter], None]) -> None:
        self.counts: list[Counter] = [Counter() for _ in range(workers)]
        self.progress = progress
        self.results: list[dict] = []
        self.calls: list[dict] = []

    def on_message(self, i: int, message: dict) -> None:
        if "progress" in message:
            self.counts[i] = Counter(message["progress"])
            self.progress(sum(self.counts, Counter()))
        else:
            self.results.extend(message["results"])
            self.calls.extend(message["calls"])


async def gather_forked(forked: list[ForkedWorker], progress) -> Outcome:
    """What the workers main forked report, merged (their shares were split before)."""
    gathered = Gathered(len(forked), progress)
    async with trio.open_nursery() as nursery:
        for i, worker in enumerate(forked):
            nursery.start_soon(gather, worker, partial(gathered.on_message, i))
    return gathered.results, gathered.calls


async def in_processes(args: argparse.Namespace, phone_specs: list[PhoneSpec], progress
                       ) -> Outcome:
    """Split the fleet over worker processes spawned here, attached to the lab's manifest,
    or over the remote workers `--remote` names (each sent the manifest)."""
    workers = len(args.remote) if args.remote else args.processes
    shares = split(phone_specs, workers)
    calls_each = call_shares(args.calls, shares)
    gathered = Gathered(workers, progress)

    async def worker(i: int, share: list[PhoneSpec]) -> None:
        options = share_options(args, i, calls_each[i])
        argv = [sys.executable, "-m", "cucme_lab.lab.fleet_cli", "--worker", "--lab", str(args.lab),
                "--until", args.until, "--timeout", str(args.timeout),
                "--calls", str(options.calls), "--call-seconds", str(args.call_seconds)]
        if options.store:
            argv += ["--store", str(options.store)]
        payload = json.dumps([s.__dict__ for s in share]).encode()
        async with trio.open_nursery() as nursery:
            proc = await nursery.start(partial(trio.run_process, argv, stdin=payload,
                                               stdout=subprocess.PIPE, check=False))
            await read_json_lines(proc.stdout, partial(gathered.on_message, i))

    async def remote(i: int, share: list[PhoneSpec]) -> None:
        options = {"lab": None, "until": args.until, "timeout": args.timeout,
                   "calls": calls_each[i], "call_seconds": args.call_seconds,
                   "store": str(Path(args.store) / f"r{i}") if args.store else None}
        request = {"manifest": manifest, "options": options,
                   "phones": [s.__dict__ for s in share]}
        await run_remote(args.remote[i], request, partial(gathered.on_message, i))

    manifest = read_manifest(args.lab) if args.remote else None
    async with trio.open_nursery() as nursery:
        for i, share in enumerate(shares):
            nursery.start_soon(remote if args.remote else worker, i, share)
    return gathered.results, gathered.calls


# --- the command ------------------------------------------------------------------------------

def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="cucme-phones", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--lab", type=Path, help="a running lab's folder (its lab.json)")
    where.add_argument("--labfile", type=Path, help="start this lab in-process first")
    p.add_argument("-n", "--count", type=int, default=10)
    p.add_argument("--mac-start", default="0000.0000.1001")
    p.add_argument("--models", default="7965", help="model mix, e.g. 7965:3,7970:1")
    p.add_argument("--first-address", help="first phone address (default: .21 in the SCCP "
                   "subnet)")
    p.add_argument("--until", default="registered", help="the state every phone must reach")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--processes", type=int, default=1)
    p.add_argument("--store", type=Path,
                   help="where the phones keep their flash (default: a temporary folder, "
                        "removed when they stop)")
    p.add_argument("--json", type=Path, help="write every phone's result here")
    p.add_argument("--calls", type=int, default=0, metavar="N",
                   help="once registered, N concurrent calls between pairs of phones")
    p.add_argument("--call-seconds", type=float, default=5.0, metavar="S",
                   help="how long each call is held with media (default 5)")
    p.add_argument("--remote", action="append", metavar="SPEC",
                   help="run a share of the phones in a Python execnet starts at SPEC, e.g. "
                   "'popen//python=ip netns exec NS python3' or 'ssh=HOST//python=python3' "
                   "(repeat for more; the lab must run on real addresses)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


async def amain(args: argparse.Namespace, forked: list[ForkedWorker] | None = None
                ) -> Outcome:
    started = time.monotonic()
    total = args.count

    def progress(counts: Counter) -> None:
        if not args.quiet:
            sys.stderr.write(bar(counts, total, started))
            sys.stderr.flush()

    if forked is not None:
        return await gather_forked(forked, progress)
    if args.labfile is not None:
        from cucme_lab.lab.labfile import load_lab
        from cucme_lab.lab.runtime import run_lab

        async with scratch_folder("cucme-lab-") as lab_dir, \
                run_lab(lab_dir, load_lab(args.labfile), boot_phones=False) as runtime:
            await runtime.lab.service("tftp")
            args.lab = lab_dir
            return await _fleet(args, progress)
    return await _fleet(args, progress)


def fleet_specs(args: argparse.Namespace) -> list[PhoneSpec]:
    """The fleet's phones, from the lab's manifest; ValueError (or the manifest's OSError)
    when the lab or the options cannot give them."""
    plan = Plan.from_manifest(args.lab)
    plan.tftp()  # refuse at once when there is nothing to boot from
    if args.remote and not isinstance(plan.addresses, RealAddresses):
        raise ValueError(f"the lab in {args.lab} serves loopback addresses, which phones on "
                         "other hosts cannot reach: start it with `cucme-lab --real-addresses`")
    first = args.first_address or ".".join(plan.sccp_address().split(".")[:3]) + ".21"
    phone_specs = specs(args.count, args.mac_start, args.models, first)
    if 2 * args.calls > args.count:
        raise ValueError(f"--calls {args.calls} needs at least {2 * args.calls} phones (-n)")
    return phone_specs


async def _fleet(args: argparse.Namespace, progress) -> Outcome:
    phone_specs = fleet_specs(args)
    if args.processes > 1 or args.remote:
        return await in_processes(args, phone_specs, progress)
    return await attach(args, phone_specs, progress)


def start_forked(args: argparse.Namespace) -> list[ForkedWorker] | None:
    """Fork the local workers now, before the event loop (see forked_workers), when the fleet
    runs in several local processes against a running lab; None otherwise."""
    if args.processes <= 1 or args.remote or args.labfile is not None:
        return None
    shares = split(fleet_specs(args), args.processes)
    return fork_workers(shares, partial(_run_forked_share, args,
                                        call_shares(args.calls, shares)))


def _single_cause(exc: BaseException) -> BaseException:
    """The one exception an exception group (of groups) holds, else the group itself."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    tune_for_many_connections()
    if args.worker:
        return worker_main(args)
    if args.lab is None and args.labfile is None:
        args.lab = Path(os.environ.get("CUCME_LAB", Path.home() / ".cucme-lab" / "default"))
    if 2 * args.calls > args.count:
        print(f"cucme-phones: --calls {args.calls} needs at least {2 * args.calls} phones (-n)",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    scratch = None
    if args.store is None and not args.remote:
        # the phones' flash for this run only, removed here: local workers ended by Ctrl-C
        # (killed by this process) cannot remove their own
        scratch = args.store = Path(tempfile.mkdtemp(prefix="cucme-phones-"))
    try:
        results, calls = trio.run(amain, args, start_forked(args))
    except Exception as exc:
        # trio wraps what fails inside a nursery (the lab's) in an exception group
        cause = _single_cause(exc)
        if not isinstance(cause, SchemaError | OSError | KeyError | ValueError):
            raise
        print(f"cucme-phones: {cause}", file=sys.stderr)
        return 2
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    wall = time.monotonic() - started
    if not args.quiet:
        sys.stderr.write("\n")
    print(summary(results, wall), end="")
    out: dict = {"wall_seconds": wall, "phones": results}
    ok = all(r["state"] == args.until for r in results)
    if args.calls:
        from cucme_lab.phones.fleet import call_report

        report = call_report(calls)
        print(call_summary(report, args.call_seconds), end="")
        out["calls"] = {**report, "held_seconds": args.call_seconds, "calls": calls}
        ok = ok and report["connected"] == args.calls and report["failed"] == 0
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
