"""The router's network services: thin trio adapters from sockets to the router."""
