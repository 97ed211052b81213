"""The router's SNMP agent, sans I/O: its MIB view (`mib`) and request handling (`agent`)."""
