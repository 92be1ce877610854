"""Hand-written stand-in for the instrumenter's switch module."""
import os

active = os.environ.get("ACTIVE_GREMLIN") or None
_log = os.environ.get("DEMO_SWITCH_LOG")


def set_active(gremlin):
    global active
    active = gremlin
    if _log:
        with open(_log, "a") as f:
            f.write("%d %s\n" % (os.getpid(), gremlin))
