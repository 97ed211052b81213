"""The router's state and rules: typed configuration, PKI, provisioning, telephony, access."""
