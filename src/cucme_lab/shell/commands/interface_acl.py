"""`ip access-group N in|out` on an interface: the ACL `router.ingress` judges traffic with."""

from __future__ import annotations

from cucme_lab.router.config.interfaces import Interface
from cucme_lab.shell.commands.common import CommandDeclarations
from cucme_lab.shell.session import Ctx

DECLARED = CommandDeclarations()
command = DECLARED.command

IF, SUBIF = "config-if", "config-subif"


@command([IF, SUBIF], "ip access-group {<1-199>|<1300-2699>}:acl {in|out}:dir",
         help={"access-group": "Specify access control for packets",
               "<1-199>": "IP access list (standard or extended)",
               "<1300-2699>": "IP expanded access list (standard or extended)",
               "in": "inbound packets", "out": "outbound packets"},
         no="ip access-group [{<1-199>|<1300-2699>}:acl] {in|out}:dir")
def ip_access_group(c: Ctx) -> None:
    intf = c.target
    if not isinstance(intf, Interface):
        return
    attr = "access_group_in" if c.args["dir"] == "in" else "access_group_out"
    if c.no or c.default:
        intf.reset_setting(attr)
        return
    setattr(intf, attr, int(c.args["acl"]))
