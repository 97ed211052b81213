"""The SNMP agent against net-snmp's snmpget, snmpwalk, snmpbulkwalk and snmpset on loopback."""

from __future__ import annotations

import trio
from snmp_lab import MANAGER, STRANGER, netsnmp, shell, snmp_lab

from cucme_lab.lab.manifest import read_manifest
from cucme_lab.router.access import show_access_lists


async def test_system_group_answers_the_acl_subnet(tmp_path):
    with trio.fail_after(60):
        async with snmp_lab(tmp_path) as lab:
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0",
                                      "1.3.6.1.2.1.1.6.0", "1.3.6.1.2.1.1.4.0")
            assert code == 0, out
            assert '.1.3.6.1.2.1.1.5.0 = STRING: "CME"' in out
            assert ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.9.1.576" in out
            assert '.1.3.6.1.2.1.1.6.0 = STRING: "Lab rack 1"' in out
            assert '.1.3.6.1.2.1.1.4.0 = STRING: "admin@example.com"' in out
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.1.0", version="1")
            assert code == 0 and "2800 Software (C2800NM-ADVENTERPRISEK9-M)" in out, out
            # sysName follows `hostname`
            await shell(lab.router, "configure terminal", "hostname BRANCH", "end")
            lab.router.snmp.view = None
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.5.0")
            assert '"BRANCH"' in out, out


async def test_wrong_community_and_outsider_get_no_answer_and_authfail(tmp_path):
    with trio.fail_after(60):
        async with snmp_lab(tmp_path) as lab:
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.5.0", community="guess")
            assert code != 0 and "Timeout" in out, out
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.5.0", source=STRANGER)
            assert code != 0 and "Timeout" in out, out
            for host in (MANAGER, STRANGER):
                assert lab.router.log.contains(
                    f"%SNMP-3-AUTHFAIL: Authentication failure for SNMP req from host {host}")
            shown = await shell(lab.router, "show snmp")
            # net-snmp retries once (-r 1): two datagrams per attempt
            assert "4 Unknown community name" in shown, shown
            # the stranger fell to the implicit deny (not counted); an allowed manager counts
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.5.0")
            assert code == 0, out
            assert "    10 permit 10.1.10.0, wildcard bits 0.0.0.255 (1 match)\n" in \
                show_access_lists(lab.router, 10)


async def test_walks_of_the_iftable_and_the_ephone_tables(tmp_path):
    extra = "ephone 1\n mac-address CAFE.CAFE.1234\n type 7970\nephone 2\n mac-address " \
            "CAFE.CAFE.2345\n"
    with trio.fail_after(60):
        async with snmp_lab(tmp_path, extra) as lab:
            code, out = await netsnmp(lab, "snmpwalk", "1.3.6.1.2.1.2.2.1.2")
            assert code == 0, out
            assert '.1.3.6.1.2.1.2.2.1.2.1 = STRING: "FastEthernet0/0"' in out
            assert 'STRING: "Vlan10"' in out
            code, bulk = await netsnmp(lab, "snmpbulkwalk", "1.3.6.1.2.1.2.2")
            assert code == 0 and bulk.count("\n") > 11 * 9, bulk
            code, out = await netsnmp(lab, "snmpwalk", "1.3.6.1.4.1.9.9.439.1.2.6.1")
            assert code == 0, out
            assert '.1.3.6.1.4.1.9.9.439.1.2.6.1.1.1 = STRING: "SEPCAFECAFE1234"' in out
            assert ".1.3.6.1.4.1.9.9.439.1.2.6.1.2.1 = INTEGER: 2" in out  # unregistered
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.4.1.9.9.439.1.1.43.1.4.1")
            assert "Hex-STRING: CA FE CA FE 12 34" in out, out


async def test_rw_set_changes_the_configuration_and_ro_cannot(tmp_path):
    with trio.fail_after(60):
        async with snmp_lab(tmp_path) as lab:
            code, out = await netsnmp(lab, "snmpset", "1.3.6.1.2.1.1.6.0", "s", "Closet 2",
                                      "1.3.6.1.2.1.1.5.0", "s", "EDGE", community="s3cret")
            assert code == 0, out
            running = await shell(lab.router, "show running-config")
            assert "hostname EDGE\n" in running
            assert "snmp-server location Closet 2\n" in running
            code, out = await netsnmp(lab, "snmpset", "1.3.6.1.2.1.1.4.0", "s", "x")
            assert code != 0 and "noAccess" in out, out
            code, out = await netsnmp(lab, "snmpset", "1.3.6.1.2.1.1.1.0", "s", "x",
                                      community="s3cret")
            assert code != 0 and "notWritable" in out, out
            code, out = await netsnmp(lab, "snmpset", "1.3.6.1.2.1.1.5.0", "i", "5",
                                      community="s3cret")
            assert code != 0 and "wrongType" in out, out
            code, out = await netsnmp(lab, "snmpset", "1.3.6.1.2.1.1.5.0", "s", "two words",
                                      community="s3cret")
            assert code != 0 and "wrongValue" in out, out
            shown = await shell(lab.router, "show snmp")
            assert "Chassis: FTX1234A5BC\nContact: admin@example.com\nLocation: Closet 2\n" \
                in shown
            assert "    2 Number of altered variables\n" in shown
            assert "    1 Illegal operation for community name supplied\n" in shown


async def test_lab_json_lists_the_managers_the_acl_allows(tmp_path):
    extra = "access-list 11 permit host 10.1.10.9\nsnmp-server community ops RO 11\n"
    with trio.fail_after(60):
        async with snmp_lab(tmp_path, extra) as lab:
            lab.write_manifest()
            hosts = read_manifest(lab.lab_dir)["outside_hosts"]
            plan = lab.addresses
            assert {"role": "snmp-manager", "community": "cisco", "acl": 10,
                    "configured_address": "10.1.10.0/24",
                    "address": plan.to_loopback("10.1.10.0") + "/24"} in hosts
            host = {"role": "snmp-manager", "community": "ops", "acl": 11,
                    "configured_address": "10.1.10.9",
                    "address": plan.to_loopback("10.1.10.9")}
            assert host in hosts
            # a manager standing at the listed loopback address is answered
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.5.0", source="10.1.10.9",
                                      community="ops")
            assert code == 0 and '"CME"' in out, out


async def test_garbage_datagrams_are_dropped_and_the_agent_keeps_answering(tmp_path):
    from cucme_lab.wire import snmp as wire

    with trio.fail_after(60):
        async with snmp_lab(tmp_path) as lab:
            entry = next(e for e in lab.services.entries() if e.name == "snmp")
            good = wire.encode_request(wire.V2C, b"cisco", "getbulk", [(1, 3, 6, 1)],
                                       max_repetitions=10_000)
            sock = trio.socket.socket(type=trio.socket.SOCK_DGRAM)
            with sock:
                await sock.bind((lab.addresses.to_loopback(MANAGER), 0))
                for junk in (good[:9], b"\x30\x03\x02\x01\x03", b"\xff" * 4000, b"",
                             good[:4] + b"\x07" + good[5:]):
                    await sock.sendto(junk, (entry.bound_address, entry.bound_port))
                await sock.sendto(good, (entry.bound_address, entry.bound_port))
                answer = await sock.recv(65535)
            assert len(answer) <= 1500
            _, status, _, varbinds = wire.decode_response(answer)
            assert status == 0 and 0 < len(varbinds) <= 200
            code, out = await netsnmp(lab, "snmpget", "1.3.6.1.2.1.1.5.0")
            assert code == 0, out
            shown = await shell(lab.router, "show snmp")
            assert "    2 Bad SNMP version errors\n    0 Unknown community name\n" in shown
            assert "    3 Encoding errors\n" in shown
