"""CME call control in the router core: who may register, and the phones registered now."""
