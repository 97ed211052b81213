"""The lab's browser dashboard: the lab drawn live (topology, phone screens, calls, the router's
log, rollout progress, the audit, a guided lab's objectives) with the phone controls on the page.

`view` reads the running lab into JSON, `hub` coalesces changes into one update per interval for
every open event stream, `app` is the ASGI application and `server` runs it with hypercorn's
trio worker on a loopback port.
"""
