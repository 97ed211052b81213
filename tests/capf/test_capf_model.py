"""What CAPF reads of the configuration for one phone, through its MAC index."""

from __future__ import annotations

from cucme_lab.router.capf import model
from cucme_lab.wire.capf import AuthType, Operation

CONFIG = """\
capf-server
 auth-mode null-string
 cert-oper upgrade all
ephone 1
 mac-address CAFE.CAFE.1234
ephone 2
 mac-address CAFE.CAFE.2345
 cert-oper upgrade auth-mode auth-string
 capf-auth-str 1234
"""


async def test_one_device_is_read_as_the_whole_table_says(shell, router):
    await shell.paste_config(CONFIG)
    devices = model.ScheduledDevices(router)
    assert dict(devices) == model.scheduled_devices(router)
    one, two = devices["SEPCAFECAFE1234"], devices["SEPCAFECAFE2345"]
    assert (one.operation, one.auth_mode) == (Operation.INSTALL, AuthType.NO_PASSWORD)
    assert (two.auth_mode, two.password) == (AuthType.PASSWORD, "1234")
    assert devices.get("SEP000000000000") is None


async def test_the_index_follows_mac_changes_and_removed_ephones(shell, router):
    await shell.paste_config(CONFIG)
    assert model.ephone_section(router, "SEPCAFECAFE1234").ident == (1,)
    await shell.paste_config("ephone 1\n mac-address BEEF.BEEF.0001")
    assert model.ephone_section(router, "SEPCAFECAFE1234") is None
    assert model.ephone_section(router, "SEPBEEFBEEF0001").ident == (1,)
    await shell.paste_config("no ephone 1")
    assert model.ephone_section(router, "SEPBEEFBEEF0001") is None
    assert model.ephone_section(router, "SEPCAFECAFE2345").ident == (2,)


async def test_completing_an_ephone_operation_removes_its_line(shell, router):
    await shell.paste_config(CONFIG)
    model.ephone_section(router, "SEPCAFECAFE2345")  # the index is built
    model.complete_operation(router, "SEPCAFECAFE2345", Operation.INSTALL)
    assert " cert-oper upgrade auth-mode auth-string" not in router.running_config()
    model.complete_operation(router, "SEPCAFECAFE1234", Operation.INSTALL)
    assert router.capf.done["SEPCAFECAFE1234"] == "upgrade"
    assert model.ScheduledDevices(router)["SEPCAFECAFE1234"].operation is Operation.NONE
