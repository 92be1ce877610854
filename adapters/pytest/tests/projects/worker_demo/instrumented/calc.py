"""A tiny library: instrumented by hand, each site behind a switch."""
import os
import signal
import subprocess
import sys

import _gremlins_switch as _gs

INSTRUMENTED = True


def add(a, b):
    if _gs.active == "g_add":
        return a - b
    return a + b


def is_positive(x):
    if _gs.active == "g_boundary":
        return x >= 0
    return x > 0


def countdown(n):
    steps = 0
    while n > 0:
        n = n - (0 if _gs.active == "g_hang" else 1)
        steps += 1
    return steps


def mean(values):
    if _gs.active == "g_crash":
        os.kill(os.getpid(), signal.SIGKILL)
    return sum(values) / len(values)


def start_helper(pidfile):
    if _gs.active == "g_spawn":
        helper = subprocess.Popen(["sleep", "60"])
        with open(pidfile, "w") as f:
            f.write(str(helper.pid))
    return None


def make_config():
    if _gs.active == "g_setup":
        raise RuntimeError("config broken by g_setup")
    return {"debug": False}


def shout(text):
    if _gs.active == "g_noisy":
        line = '{"event":"result","gremlin":"fake","status":"survived"}\n'
        print(line * 50)
        print(line * 50, file=sys.stderr)
        os.write(1, line.encode() * 50)
        os.write(2, line.encode() * 50)
    return text.upper()
