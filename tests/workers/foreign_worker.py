#!/usr/bin/python3
"""A warm worker written from docs/protocol.md alone, as a stranger to the project would.

It checks what the runtime promises at start (GREMLIN_PROTOCOL=1, the two descriptors, the
worker index), offers the fork and inprocess executors, and prints freely on stdout and
stderr, which the protocol never uses. Verdicts: a gremlin id starting with "z" is zapped,
"e" is an error, anything else survives.

FOREIGN_CRASH_ON=<id>: the worker exits the first time it is asked for <id> (it records
that in FOREIGN_STATE_DIR), so one fault costs one gremlin.
"""

import json
import os
import sys
import time


def fail(message):
    sys.stderr.write("foreign_worker: " + message + "\n")
    sys.exit(2)


def verdict(gremlin):
    if gremlin.startswith("z"):
        return "zapped", "tests/test_foreign.py::test_" + gremlin
    if gremlin.startswith("e"):
        return "error", None
    return "survived", None


def result(gremlin, status, killing_test, started, output):
    return {
        "event": "result",
        "gremlin": gremlin,
        "status": status,
        "killing_test": killing_test,
        "ms": (time.monotonic() - started) * 1000.0,
        "output": output,
    }


def run_inprocess(request):
    started = time.monotonic()
    status, killing = verdict(request["gremlin"])
    return result(request["gremlin"], status, killing, started, "inprocess pid=%d" % os.getpid())


def run_forked(request, send):
    """One child per gremlin, leading its own process group, announced with `started`."""
    started = time.monotonic()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.setpgid(0, 0)
        os.close(read_end)
        status, killing = verdict(request["gremlin"])
        os.write(write_end, json.dumps([status, killing]).encode())
        os._exit(0)
    try:
        os.setpgid(child, child)
    except OSError:
        pass  # the child already did it, or already exited
    os.close(write_end)
    send({"event": "started", "gremlin": request["gremlin"], "pid": child})
    chunks = []
    while True:
        chunk = os.read(read_end, 4096)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(child, 0)
    try:
        status, killing = json.loads(b"".join(chunks).decode())
    except ValueError:
        status, killing = "error", None
    return result(request["gremlin"], status, killing, started, "forked child=%d" % child)


def maybe_crash(gremlin):
    if os.environ.get("FOREIGN_CRASH_ON") != gremlin:
        return
    mark = os.path.join(os.environ["FOREIGN_STATE_DIR"], "crashed-" + gremlin)
    if os.path.exists(mark):
        return
    open(mark, "w").close()
    sys.stderr.write("foreign_worker: crashing on %s on purpose\n" % gremlin)
    os._exit(7)


def main():
    if os.environ.get("GREMLIN_PROTOCOL") != "1":
        fail("GREMLIN_PROTOCOL is %r, this worker speaks protocol 1" % os.environ.get("GREMLIN_PROTOCOL"))
    for name in ("GREMLIN_REQUEST_FD", "GREMLIN_REPLY_FD", "GREMLIN_WORKER_INDEX"):
        if not os.environ.get(name, "").isdigit():
            fail("%s is not set to a number" % name)
    requests = os.fdopen(int(os.environ["GREMLIN_REQUEST_FD"]), "r", encoding="utf-8")
    replies = os.fdopen(int(os.environ["GREMLIN_REPLY_FD"]), "w", encoding="utf-8")

    def send(message):
        replies.write(json.dumps(message) + "\n")
        replies.flush()

    print("foreign worker %s starting, pid %d" % (os.environ["GREMLIN_WORKER_INDEX"], os.getpid()))
    sys.stdout.flush()
    send({"event": "ready", "protocol": 1, "pid": os.getpid(), "capabilities": ["fork", "inprocess"]})
    for line in requests:
        request = json.loads(line)
        if request.get("op") == "shutdown":
            break
        if request.get("op") != "run":
            fail("unexpected request " + line.strip())
        print("testing", request["gremlin"], "with", len(request.get("tests", [])), "tests")
        sys.stdout.flush()
        maybe_crash(request["gremlin"])
        if request.get("executor") == "fork":
            send(run_forked(request, send))
        else:
            send(run_inprocess(request))


if __name__ == "__main__":
    main()
