"""Provisioning: the CTL client, phone configuration files and the TFTP file table."""
