"""What the network services need from whoever runs them: the `ServiceHost`.

The lab layer builds the router and starts the services; the services see it only through this
narrow interface, so they never import the lab (which may import them). A `cucme_lab.lab.Lab`
is one; a test may pass any object with these members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cucme_lab.router.addresses import AddressMap
    from cucme_lab.router.pki.validation import CrlSource
    from cucme_lab.router.router import Router


class ServiceHost(Protocol):
    """The router the services serve, where its addresses are, its CRL source, the manifest."""

    @property
    def router(self) -> Router: ...

    @property
    def addresses(self) -> AddressMap: ...

    @property
    def crl_source(self) -> CrlSource | None:
        """How peers' CRLs are fetched when a service validates a certificate chain."""
        ...

    def write_manifest(self) -> None:
        """Record the services now listening (called whenever one starts or stops)."""
        ...
