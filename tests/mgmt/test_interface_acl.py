"""Interface ACLs (`ip access-group N in`): the decision with flows alone, then real sockets."""

from __future__ import annotations

import trio
from snmp_lab import configure, netsnmp, snmp_lab

from cucme_lab.router.access import show_access_lists
from cucme_lab.router.ingress import Flow, admit, arrival_interface
from cucme_lab.services.http import HttpService
from cucme_lab.services.snmp import SnmpService

BASE = """interface FastEthernet0/0
 ip address 192.168.1.1 255.255.255.0
interface Vlan10
 ip address 10.1.1.1 255.255.255.0
 ip address 10.1.2.1 255.255.255.0 secondary
access-list 101 deny tcp any any eq 2000 log
access-list 101 permit ip any any
access-list 5 deny 203.0.113.0 0.0.0.255 log
access-list 5 permit any
interface FastEthernet0/0
 ip access-group 101 in
"""


async def test_the_arrival_interface_is_the_subnet_else_the_wan(router, shell):
    await shell.paste_config(BASE)
    router.wan_interface = "FastEthernet0/0"
    assert arrival_interface(router, "10.1.2.9").name == "Vlan10"  # a secondary subnet
    assert arrival_interface(router, "192.168.1.50").name == "FastEthernet0/0"
    assert arrival_interface(router, "203.0.113.21").name == "FastEthernet0/0"  # the WAN
    router.wan_interface = None
    assert arrival_interface(router, "203.0.113.21") is None


async def test_port_2000_from_the_wan_is_denied_counted_and_logged_once(router, shell):
    await shell.paste_config(BASE)
    router.wan_interface = "FastEthernet0/0"
    wan_phone = Flow("203.0.113.21", 50000, "10.1.1.1", 2000)
    assert not admit(router, wan_phone)
    assert not admit(router, wan_phone)  # counted again, logged once (IOS: every 5 minutes)
    assert admit(router, Flow("203.0.113.21", 50001, "10.1.1.1", 23))
    assert admit(router, Flow("10.1.1.21", 50000, "10.1.1.1", 2000))  # Vlan10 has no ACL
    lines = [line for line in router.log.lines if "IPACCESSLOG" in line]
    assert len(lines) == 1
    assert lines[0].endswith("%SEC-6-IPACCESSLOGP: list 101 denied tcp "
                             "203.0.113.21(50000) -> 10.1.1.1(2000), 1 packet")
    assert show_access_lists(router, 101) == (
        "Extended IP access list 101\n"
        "    10 deny tcp any any eq 2000 log (2 matches)\n"
        "    20 permit ip any any (1 match)\n")


async def test_standard_list_outbound_and_unknown_list(router, shell):
    await shell.paste_config(BASE + "interface Vlan10\n ip access-group 5 in\n"
                             " ip access-group 101 out\n")
    router.wan_interface = "Vlan10"
    assert not admit(router, Flow("203.0.113.9", 1024, "10.1.1.1", 161, "udp"))
    assert any(line.endswith("%SEC-6-IPACCESSLOGS: list 5 denied 203.0.113.9 1 packet")
               for line in router.log.lines)
    # outbound lists do not judge the router's own traffic, as on IOS
    assert admit(router, Flow("10.1.1.21", 40000, "10.1.1.1", 2000))
    await shell.paste_config("interface Vlan10\n ip access-group 99 in\n")
    assert admit(router, Flow("203.0.113.9", 1024, "10.1.1.1", 161, "udp"))  # undefined list
    running = router.running_config()
    assert " ip access-group 99 in\n ip access-group 101 out\n" in running
    await shell.paste_config("interface Vlan10\n no ip access-group in\n")
    assert " ip access-group 99 in" not in router.running_config()


async def test_a_compiled_gate_judges_as_admit_does_after_pickling(router, shell):
    import pickle

    from cucme_lab.router.ingress import compile_gate, count_gate_hit

    await shell.paste_config(BASE + "access-list 102 deny udp any any eq tftp log\n"
                             "access-list 102 remark the rest\naccess-list 102 permit ip any any\n"
                             "interface FastEthernet0/0\n ip access-group 102 in\n")
    router.wan_interface = "FastEthernet0/0"
    plan = {"mode": "loopback", "loopback_base": "127.33.0.0/16",
            "subnets": ["10.1.1.0/24", "203.0.113.0/24"]}
    gate = pickle.loads(pickle.dumps(compile_gate(router, "10.1.1.1", 69, "udp", plan)))
    assert gate.configured("127.33.2.21") == "203.0.113.21"
    assert gate.configured("127.33.9.1") == "127.33.9.1"  # a subnet the plan had not yet
    denied = gate.judge("127.33.2.21", 40000)
    assert (denied.acl, denied.index, denied.permitted, denied.peer) == (
        102, 0, False, "203.0.113.21")
    assert gate.judge("127.33.1.21", 40000) is None  # Vlan10: no inbound list
    count_gate_hit(router, gate, denied, 40000)
    assert router.log.lines[-1].endswith("%SEC-6-IPACCESSLOGP: list 102 denied udp "
                                         "203.0.113.21(40000) -> 10.1.1.1(69), 1 packet")
    await shell.paste_config("no access-list 102\naccess-list 102 permit ip any any\n")
    count_gate_hit(router, gate, denied, 40000)  # the list changed: not counted on the new one
    assert show_access_lists(router, 102) == ("Extended IP access list 102\n"
                                              "    10 permit ip any any\n")


async def _connect(lab, source: str, host: str, port: int) -> bool:
    """Whether a TCP connection from `source` is served (True) or reset at once (False)."""
    sock = trio.socket.socket()
    with sock:
        await sock.bind((lab.addresses.to_loopback(source), 0))
        await sock.connect((host, port))
        await sock.send(b"GET / HTTP/1.0\r\n\r\n")
        try:
            with trio.fail_after(5):
                return bool(await sock.recv(100))
        except ConnectionResetError:
            return False


async def test_real_http_and_snmp_traffic_is_filtered_by_interface(tmp_path):
    acl = ("access-list 110 deny tcp any any eq www\naccess-list 110 deny udp any any eq snmp"
           "\naccess-list 110 permit ip any any\nip http server\n")
    with trio.fail_after(60):
        async with snmp_lab(tmp_path, acl, services=[SnmpService(), HttpService()]) as lab:
            with trio.fail_after(10):  # snmp_lab waits for SNMP only; HTTP may come later
                while not (found := [e for e in lab.services.entries() if e.name == "http"
                                     and e.configured_address == "10.1.10.1"]):
                    await trio.sleep(0.01)
            http = found[0]
            where = (http.bound_address, http.bound_port)
            assert await _connect(lab, "10.1.10.50", *where)
            assert await _connect(lab, "192.168.77.7", *where)
            await configure(lab.router, "interface Vlan10\n ip access-group 110 in\n")
            assert not await _connect(lab, "10.1.10.50", *where)
            assert await _connect(lab, "192.168.77.7", *where)  # WAN side: no ACL there
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.5.0")
            assert code != 0 and "Timeout" in out, out
            shown = show_access_lists(lab.router, 110)
            assert "    10 deny tcp any any eq www (1 match)\n" in shown
            assert "    20 deny udp any any eq snmp (2 matches)\n" in shown
            assert lab.router.snmp.counters.packets_in == 0  # dropped before the agent


def test_the_lab_file_names_the_wan_interface(tmp_path):
    import pytest

    from cucme_lab.lab.labfile import DEFAULT_LAB, load_lab
    from cucme_lab.lab.yamlnodes import SchemaError

    assert load_lab(DEFAULT_LAB).wan_interface == "FastEthernet0/0"
    good = tmp_path / "good.yaml"
    good.write_text("lab:\n  wan-interface: fa0/1\n")
    assert load_lab(good).wan_interface == "FastEthernet0/1"
    bad = tmp_path / "bad.yaml"
    bad.write_text("lab:\n  name: x\n  wan-interface: Bogus9\n")
    with pytest.raises(SchemaError) as caught:
        load_lab(bad)
    assert "bad.yaml:3" in str(caught.value) and "not an interface name" in str(caught.value)


async def test_tftp_obeys_the_wan_interface_acl_in_its_own_process(tmp_path):
    """The TFTP server process judges each request by the gate the router compiled: a WAN
    peer's read request is dropped unanswered, a Vlan10 phone still downloads; the router
    counts both decisions and logs the denial."""
    from cucme_lab.lab.router_lab import open_lab
    from cucme_lab.phones.tftp import TftpFailure, download
    from cucme_lab.router.provisioning.tftp_table import published
    from cucme_lab.services.tftp import TftpService, tftp_service

    config = ("interface Vlan10\n ip address 10.1.10.1 255.255.255.0\n"
              "interface FastEthernet0/0\n ip address 192.168.1.1 255.255.255.0\n"
              "telephony-service\n ip source-address 10.1.10.1 port 2000\n create cnf-files\n"
              "access-list 101 deny udp any any eq tftp log\n"
              "access-list 101 permit ip any any\n"
              "access-list 102 permit udp 10.1.10.0 0.0.0.255 any eq tftp\n"
              "interface FastEthernet0/0\n ip access-group 101 in\n"
              "interface Vlan10\n ip access-group 102 in\n")
    with trio.fail_after(60):
        async with open_lab(tmp_path / "lab", services=[TftpService()],
                            wan_interface="FastEthernet0/0") as lab:
            await configure(lab.router, config)
            wan_peer = lab.addresses.to_loopback("203.0.113.21")  # outside every subnet
            phone = lab.addresses.to_loopback("10.1.10.50")
            service = tftp_service(lab)
            with trio.fail_after(10):
                while service.link() is None:
                    await trio.sleep(0.02)
            await service.synced(lab)
            name = next(iter(published(lab.router).files))
            [entry] = [e for e in lab.services.entries() if e.name == "tftp"]
            where = (entry.bound_address, entry.bound_port)
            assert await download(*where, name, local_address=phone)
            try:
                await download(*where, name, local_address=wan_peer, timeout=0.5)
                raise AssertionError("the WAN peer was answered")
            except TftpFailure as failure:
                assert failure.status == "TFTP timeout"
            with trio.fail_after(5):
                while "IPACCESSLOGP" not in "".join(lab.router.log.lines):
                    await trio.sleep(0.02)
            [line] = [line for line in lab.router.log.lines if "IPACCESSLOGP" in line]
            assert "%SEC-6-IPACCESSLOGP: list 101 denied udp 203.0.113.21(" in line
            assert line.endswith(") -> 10.1.10.1(69), 1 packet")
            shown = show_access_lists(lab.router, 101)
            assert "    10 deny udp any any eq tftp log (" in shown  # with the retries
            assert "    20 permit ip any any\n" in shown  # decided by line 10: not counted
            assert show_access_lists(lab.router, 102) == (
                "Extended IP access list 102\n"
                "    10 permit udp 10.1.10.0 0.0.0.255 any eq tftp (1 match)\n")
            # the ACL removed: the WAN peer downloads again
            await configure(lab.router, "interface FastEthernet0/0\n no ip access-group in\n")
            await service.synced(lab)
            assert await download(*where, name, local_address=wan_peer)
