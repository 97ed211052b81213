"""The simulated IP phone (firmware, SCCP, CAPF, TFTP) and fleets: it knows only the wire."""
