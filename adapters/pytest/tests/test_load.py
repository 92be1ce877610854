"""Verdicts do not depend on load: examples/calc through the real CLI (``run --pytest``, the
default adaptive time limit) in the warm fork, in-process and cold executors, once on a quiet
machine and once beside two CPU-bound processes (2 cores: the machine is then fully loaded).
All six runs must give every gremlin the same verdict, and none may be ``error``.

A timeout is confirmed by a re-run with a doubled limit before it is reported, so a loaded
machine cannot turn a slow pass into a detected gremlin.
"""

import contextlib
import json
import multiprocessing
import os
import shutil
import subprocess

import pytest

from adapter_support import CALC
from test_e2e_cli import RUN_LIMIT_S, binary, clean_env

EXECUTORS = ["fork", "inprocess", "subprocess"]


def _spin(stop):
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1000003


@contextlib.contextmanager
def busy(n):
    """`n` CPU-bound processes beside the block."""
    stop = multiprocessing.Event()
    procs = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        stop.set()
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join()


def verdicts(project, executor):
    out = project.parent / ("load-%s.json" % executor)
    proc = subprocess.run([binary(), "run", "--pytest", "--project", str(project), "--workers", "2",
                           "--executor", executor, "--no-store", "--json", str(out), "-q"],
                          cwd=str(project), env=clean_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=RUN_LIMIT_S)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())["results"]
    return {r["gremlin_id"]: r["status"] for r in results}


def test_verdicts_are_the_same_with_and_without_load(tmp_path):
    project = tmp_path / "calc"
    shutil.copytree(CALC, project, ignore=shutil.ignore_patterns(".gremlins", "__pycache__"))
    runs = {}
    for executor in EXECUTORS:
        runs[("quiet", executor)] = verdicts(project, executor)
    with busy(2):
        for executor in EXECUTORS:
            runs[("loaded", executor)] = verdicts(project, executor)
    reference = runs[("quiet", "subprocess")]
    assert reference, "no gremlins"
    assert "error" not in reference.values(), reference
    for key, got in runs.items():
        differing = {g: (reference.get(g), got.get(g)) for g in set(reference) | set(got)
                     if reference.get(g) != got.get(g)}
        assert not differing, "%s %s differs from the quiet cold run: %s" % (key[0], key[1], differing)
