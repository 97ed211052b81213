"""cucme-lab: an emulated Cisco router running CUCME, simulated SCCP phones, and their lab.

Layers, lowest first (checked by the import contracts in pyproject.toml): ``wire`` (codecs),
``router`` (state and rules), ``services`` (trio adapters), ``shell`` (IOS command line),
``lab`` (building and wiring a lab, the commands), ``scenarios``. ``netio`` (transports) and
``phones`` (which know only the wire) stand beside them.
"""
