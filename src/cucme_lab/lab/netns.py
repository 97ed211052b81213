"""Two network namespaces joined by a veth pair: a router host and a phones host on one machine.

    cucme-lab netns up [--router-ns R] [--phones-ns P] [--router 1.2.3.4/16]
                       [--phones 1.2.3.21] [--count 200]
    cucme-lab netns down [--router-ns R] [--phones-ns P]

`up` (as root) makes the namespaces, gives the router's namespace the configured router address
and the phones' namespace one address per phone, so a lab started inside the first with
`--real-addresses` serves the configured addresses themselves and `cucme-phones --remote
'popen//python=ip netns exec P python3'` rolls phones out against it from the second, with
real packets on the veth between them. Nothing leaves the machine: the pair has no other link.
"""

from __future__ import annotations

import argparse
import ipaddress
import subprocess
import sys
from dataclasses import dataclass


def _ip(*args: str, stdin: str | None = None) -> None:
    subprocess.run(["ip", *args], input=stdin, text=True, check=True, capture_output=True)


@dataclass
class NetnsPair:
    router_ns: str = "cucme-router"
    phones_ns: str = "cucme-phones"
    router: str = "1.2.3.4/16"  # the router's configured address and its subnet
    first_phone: str = "1.2.3.21"
    count: int = 200
    veth: str = "cucme"  # the pair's interfaces: <veth>-r and <veth>-p (at most 15 characters)

    @property
    def router_if(self) -> str:
        return f"{self.veth}-r"

    @property
    def phones_if(self) -> str:
        return f"{self.veth}-p"

    def phone_addresses(self) -> list[str]:
        """As `cucme-phones` numbers them: consecutive, skipping .251-.20 of each /24."""
        first = int(ipaddress.IPv4Address(self.first_phone))
        return [str(ipaddress.IPv4Address(first + i + (i // 230) * 26))
                for i in range(self.count)]

    def up(self) -> None:
        prefix = ipaddress.IPv4Interface(self.router).network.prefixlen
        self.down()
        _ip("netns", "add", self.router_ns)
        _ip("netns", "add", self.phones_ns)
        _ip("link", "add", self.router_if, "netns", self.router_ns, "type", "veth",
            "peer", "name", self.phones_if, "netns", self.phones_ns)
        _ip("-n", self.router_ns, "addr", "add", self.router, "dev", self.router_if)
        batch = "".join(f"addr add {a}/{prefix} dev {self.phones_if}\n"
                        for a in self.phone_addresses())
        _ip("-n", self.phones_ns, "-batch", "-", stdin=batch)
        for ns, dev in ((self.router_ns, self.router_if), (self.phones_ns, self.phones_if)):
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", dev, "up")

    def down(self) -> None:
        """Remove both namespaces (their veth ends go with them); absent ones are fine."""
        for ns in (self.router_ns, self.phones_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)

    def exec_prefix(self, ns: str) -> list[str]:
        return ["ip", "netns", "exec", ns]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cucme-lab netns", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=("up", "down"))
    p.add_argument("--router-ns", default=NetnsPair.router_ns)
    p.add_argument("--phones-ns", default=NetnsPair.phones_ns)
    p.add_argument("--router", default=NetnsPair.router, help="address/prefix of the router")
    p.add_argument("--phones", default=NetnsPair.first_phone, help="first phone address")
    p.add_argument("--count", type=int, default=NetnsPair.count, help="phone addresses")
    args = p.parse_args(argv)
    pair = NetnsPair(args.router_ns, args.phones_ns, args.router, args.phones, args.count)
    try:
        pair.up() if args.action == "up" else pair.down()
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        print(f"cucme-lab netns: {detail.strip()} (needs root and iproute2)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
