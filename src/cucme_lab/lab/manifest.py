"""`lab.json`: how tools and tests find a running lab's services and phones.

Rewritten atomically whenever something starts or stops, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cucme_lab.router.storage import atomic_write
from cucme_lab.services.manager import ServiceEntry


@dataclass
class Manifest:
    lab_dir: Path
    hostname: str = "Router"
    services: list[ServiceEntry] = field(default_factory=list)
    phones: list[dict] = field(default_factory=list)
    state: str = "running"
    network: dict = field(default_factory=dict)  # how configured addresses map to loopback
    pstn: dict = field(default_factory=dict)  # the simulated PSTN's calls (lab/pstn.py)
    outside_hosts: list[dict] = field(default_factory=list)  # hosts the configuration names
    lab_services: list[dict] = field(default_factory=list)  # the lab's own (TACACS+ server)
    dashboard: dict | None = None  # {"url": ...} while `--dashboard` serves the page
    audit: dict | None = None  # the audit's summary; the report is audit.json (lab/audit/live.py)
    guided: dict | None = None  # a guided lab's progress (scenarios/guided.py)
    _said: str | None = field(default=None, init=False, repr=False, compare=False)

    def write(self) -> None:
        """Write lab.json if what it says changed (`updated`: when it last did). The lab asks
        after every configuration change, and a fleet's rollout changes the configuration
        once a phone: the same file was written a thousand times."""
        path = Path(self.lab_dir) / "lab.json"
        data = {
            "router": {"hostname": self.hostname},
            "network": self.network,
            "services": [asdict(s) for s in self.services],
            "phones": self.phones,
            "pstn": self.pstn,
            "outside_hosts": self.outside_hosts,
            "lab_services": self.lab_services,
        }
        for key, value in (("dashboard", self.dashboard), ("audit", self.audit),
                           ("guided", self.guided)):
            if value:
                data[key] = value
        said = json.dumps([os.getpid(), self.state, data])
        if said == self._said and path.exists():
            return
        data = {"pid": os.getpid(), "state": self.state, "updated": time.time(), **data}
        atomic_write(path, (json.dumps(data, indent=2) + "\n").encode())
        self._said = said


def read_manifest(lab_dir: Path) -> dict:
    return json.loads((Path(lab_dir) / "lab.json").read_text())
