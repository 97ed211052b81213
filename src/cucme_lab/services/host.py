"""What the network services need from whoever runs them: the `ServiceHost`.

The lab layer builds the router and starts the services; the services see it only through this
narrow interface, so they never import the lab (which may import them). A `cucme_lab.lab.Lab`
is one; a test may pass any object with these members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cucme_lab.router.access import Verdict, VtyConnection
    from cucme_lab.router.addresses import AddressMap
    from cucme_lab.router.pki.validation import CrlSource
    from cucme_lab.router.router import Router


class Frontend(Protocol):
    """What SSH and telnet hand an admitted vty connection to: the shell's vty front end.

    The services may not import the shell; the lab gives them one (`ServiceHost.vty_frontend`).
    """

    async def authenticate(self, router: Router, conn: VtyConnection, user: str,
                           password: str) -> Verdict:
        """The line's login methods for an SSH password (SSH asks before any shell)."""
        ...

    async def serve(self, router: Router, conn: VtyConnection, link: Any,
                    command: str | None = None) -> None:
        """Run the line (telnet login first, when the line asks for one) until it ends;
        `command`: an SSH exec request's command."""
        ...


class ServiceHost(Protocol):
    """The router the services serve, where its addresses are, the vty front end, the CRL
    source, and the manifest."""

    @property
    def router(self) -> Router: ...

    @property
    def addresses(self) -> AddressMap: ...

    @property
    def vty_frontend(self) -> Frontend:
        """Who serves the vty lines that SSH and telnet connections get."""
        ...

    @property
    def crl_source(self) -> CrlSource | None:
        """How peers' CRLs are fetched when a service validates a certificate chain."""
        ...

    def write_manifest(self) -> None:
        """Record the services now listening (called whenever one starts or stops)."""
        ...
