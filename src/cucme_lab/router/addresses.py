"""How the router reaches the lab network: the address map the lab gives it.

The configuration speaks of configured addresses (`ip source-address 1.2.3.4`); sockets use the
loopback address the lab maps each one to, and ports below 1024 may be moved. The router, its
services and its shell need only this interface; the plan itself (which loopback range, which
offset) is the lab's (`cucme_lab.lab.addresses.AddressPlan`), passed in when the lab builds
the router.
"""

from __future__ import annotations

from typing import Protocol


class AddressMap(Protocol):
    """Configured addresses and ports <-> where sockets really bind and connect."""

    def to_loopback(self, configured: str) -> str:
        """The loopback address standing for `configured` (loopback addresses stay as they are)."""
        ...

    def to_configured(self, loopback: str) -> str:
        """The configured address a loopback address stands for (itself if it is not ours)."""
        ...

    def port(self, configured: int) -> int:
        """The port a configured port is bound or reached on."""
        ...
