"""The router's PKI: trustpoints and their certificates and keys, the IOS CA, validation."""
