"""`cucme-lab`: the command, above the layers.

    cucme-lab scenario run|check|list ...   the scenario runner (`cucme_lab.scenarios.scenario_cli`)
    cucme-lab netns up|down ...             a router and a phones namespace (`cucme_lab.lab.netns`)
    cucme-lab audit [--lab DIR] [--json]    the security audit (`cucme_lab.lab.audit.cli`)
    cucme-lab guided LAB ...                a guided lab, graded (`cucme_lab.scenarios.guided_cli`)
    cucme-lab [--lab DIR] [--script FILE] ...   everything else: the lab (`cucme_lab.lab.cli`)

The lab may not import the scenarios (they drive the lab), so the one command that offers both
dispatches here, outside the layers; nothing in the layers imports this module.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["scenario"]:
        from cucme_lab.scenarios.scenario_cli import main as scenario_main

        return scenario_main(argv[1:])
    if argv[:1] == ["netns"]:
        from cucme_lab.lab.netns import main as netns_main

        return netns_main(argv[1:])
    if argv[:1] == ["guided"]:
        from cucme_lab.scenarios.guided_cli import main as guided_main

        return guided_main(argv[1:])
    if argv[:1] == ["audit"]:
        from cucme_lab.lab.audit.cli import main as audit_main

        return audit_main(argv[1:])
    from cucme_lab.lab.cli import main as lab_main

    return lab_main(argv)


if __name__ == "__main__":
    sys.exit(main())
