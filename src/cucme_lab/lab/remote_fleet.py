"""Phones on another host or network namespace: a worker Python started through execnet.

`cucme-phones --remote SPEC` hands a share of the fleet to a Python that execnet starts at SPEC
(`popen//python=ip netns exec NS python3` for a namespace on this machine, `ssh=HOST//python=
python3` for another host). The remote side needs cucme-lab installed, not the lab folder: it is
sent the lab's manifest and its phones over the channel, runs them against the lab's real
addresses, and sends back the same progress and result messages a local worker process prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import trio

# what the remote Python runs: `channel` is execnet's, given to remotely executed source
REMOTE_ENTRY = "from cucme_lab.lab.fleet_cli import serve_channel\nserve_channel(channel)\n"


def _open(spec: str):
    import execnet  # only a fleet with remote workers needs it

    gateway = execnet.makegateway(spec)
    return gateway, gateway.remote_exec(REMOTE_ENTRY)


async def run_remote(spec: str, request: dict, on_message: Callable[[dict], None]) -> None:
    """Run `request` (manifest, phones, options) at `spec`; pass on each message until the
    results, which end it. An error on the remote side is raised here with its text."""
    gateway, channel = await trio.to_thread.run_sync(_open, spec)
    try:
        channel.send(json.dumps(request))
        while True:
            raw = await trio.to_thread.run_sync(channel.receive, abandon_on_cancel=True)
            message = json.loads(raw)
            on_message(message)
            if "results" in message:
                return
    finally:
        await trio.to_thread.run_sync(gateway.exit)
