"""Threads started at import time: the warm worker must not fork then.

A forked child has only the thread that forked it.  projects/threads_at_import has a conftest
thread that owns a lock and a service thread started by the code under test; forking anyway
hangs every child, and every gremlin came out ``timeout`` (counted as detected: a score of
100 % where the true one is lower).  The worker now leaves ``fork`` out of ``ready``'s
capabilities when other threads are alive (one line on stderr says so): ``--executor auto``
then runs in-process, and an explicit ``--executor fork``, which the worker cannot honour, makes
the runtime fall back to cold runs.  Either way the verdicts are those of a whole-suite cold
run (adapter_support.whole_suite_verdicts), which are also those of the text mutants (each
gremlin's span replaced in a copy of the project, the whole suite run by a fresh pytest:
independent of the instrumenter, the worker and the runtime).

The helpers here (``ProjectRuns``, ``copy_project``) are shared with test_line_numbers.py and
test_doctest.py.
"""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

import adapter_support as support
from adapter_support import mutate_text
from test_worker import run, start_worker  # noqa: F401 -- start_worker is a fixture

TIME_LIMIT_S = 6  # per gremlin, fixed (see test_e2e_cli.py): a hang costs this much
IGNORED = shutil.ignore_patterns(".gremlins", "__pycache__", ".pytest_cache")


def copy_project(name, base, pytest_ini=None):
    """A copy of projects/NAME in base (the project's pytest.ini replaced when given)."""
    root = support.copy_project(name, base / name)
    if pytest_ini is not None:
        (root / "pytest.ini").write_text(pytest_ini)
    (root / "gremlin-actors.toml").write_text("timeout = %d\n" % TIME_LIMIT_S)
    return root


def text_mutant_verdicts(root, gremlins, base, env):
    """{gremlin id: status} from the text mutants: each gremlin's span replaced in a copy of
    the project, the whole suite run by a fresh ``pytest -x`` (0: survived, 1: zapped).
    Independent of the instrumenter as well as of the worker and the runtime."""
    found = {}
    for g in gremlins:
        copy = shutil.copytree(root, base / g["id"], ignore=IGNORED)
        source = copy / g["file"]
        source.write_text(mutate_text(source.read_text(), g))
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                                   "no:cacheprovider"], cwd=str(copy), env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=TIME_LIMIT_S * 5)
            found[g["id"]] = {0: "survived", 1: "zapped"}.get(proc.returncode, "error")
        except subprocess.TimeoutExpired:
            found[g["id"]] = "timeout"
    return found


class ProjectRuns:
    """One copy of a sample project: ``gremlin-actors run --pytest`` once per executor (the
    results kept), and the verdicts of a whole-suite cold run of each of its gremlins
    (adapter_support.whole_suite_verdicts: the instrumented tree with the gremlin on from the
    start, a fresh pytest over the whole suite), checked against the text mutants'."""

    def __init__(self, root, base, env=None):
        self.root = root
        self.base = base
        self.extra_env = dict(env or {})
        self.env = support.clean_env(self.extra_env)
        self.runs = {}
        self._expected = None

    def cli(self, executor):
        """(process, results) of a run with ``--executor EXECUTOR`` (``auto``: the default)."""
        if executor not in self.runs:
            target = self.base / ("results-%s.json" % executor)
            proc, data = support.cli_run(self.root, executor, target, env=self.env)
            assert proc.returncode == 0 and data, "%s\n%s" % (proc.stdout, proc.stderr)
            self.runs[executor] = (proc, data)
        return self.runs[executor]

    def manifest(self):
        if not self.runs:
            self.cli("subprocess")
        return json.loads((self.root / ".gremlins" / "manifest.json").read_text())

    def expected(self):
        """The whole-suite cold verdicts (the same as the text mutants')."""
        if self._expected is None:
            gremlins = self.manifest()["gremlins"]
            assert all(g["tests"] for g in gremlins)  # covered: whole_suite_verdicts judges all
            whole = support.whole_suite_verdicts(self.root, self.base, self.extra_env)
            text = text_mutant_verdicts(self.root, gremlins, self.base / "mutants", self.env)
            assert whole == text, "gremlin: whole-suite run, text mutant"
            self._expected = whole
        return self._expected


def verdicts(data):
    return support.statuses(data)


def score(statuses):
    detected = sum(1 for s in statuses.values() if s in ("zapped", "timeout"))
    return round(100.0 * detected / len(statuses), 2)


@pytest.fixture(scope="module")
def threads(tmp_path_factory):
    base = tmp_path_factory.mktemp("threads")
    return ProjectRuns(copy_project("threads_at_import", base), base)


def test_whole_suite_verdicts_of_the_threaded_project(threads):
    expected = threads.expected()
    assert len(expected) >= 6
    assert set(expected.values()) == {"zapped", "survived"}, expected
    assert score(expected) < 100.0


@pytest.mark.parametrize("executor", ["fork", "auto", "inprocess", "subprocess"])
def test_verdicts_equal_the_whole_suite_cold_run(threads, executor):
    _, data = threads.cli(executor)
    assert verdicts(data) == threads.expected()
    assert data["summary"]["timeout"] == 0


def test_auto_runs_in_process_and_explicit_fork_falls_back_to_cold_runs(threads):
    _, auto = threads.cli("auto")
    assert auto["pool"]["executor"] == "inprocess"
    proc, fork = threads.cli("fork")
    assert fork["pool"]["executor"] == "subprocess"
    error = fork["pool"]["warmup_error"]
    assert "offers neither the executor asked for (fork)" in error, error
    assert "not offering fork: 2 thread(s) besides the main one" in error, error
    assert "'lock-keeper'" in error and "'pricing-service'" in error
    assert "not offering fork" in proc.stderr


# -- the worker alone --------------------------------------------------------------------------

def small_project(tmp_path, conftest):
    project = tmp_path / "p"
    project.mkdir()
    (project / "conftest.py").write_text(textwrap.dedent(conftest))
    (project / "test_t.py").write_text("def test_t():\n    assert True\n")
    return project


def test_worker_offers_only_inprocess_while_a_thread_is_alive(start_worker, tmp_path):
    project = small_project(tmp_path, """\
        import threading
        threading.Thread(target=threading.Event().wait, name="idle", daemon=True).start()
        """)
    worker = start_worker(project=project, with_instrumented=False)
    ready = worker.ready()
    assert ready["capabilities"] == ["inprocess"]
    lines = [l for l in worker.stderr().splitlines() if "not offering fork" in l]
    assert len(lines) == 1 and "1 thread(s) besides the main one" in lines[0]
    assert "'idle'" in lines[0]
    worker.send(run(None, executor="fork"), run(None, executor="inprocess"), run(None))
    refused = worker.pop_result()
    assert refused["status"] == "error" and "'fork' was not offered" in refused["output"]
    assert worker.pop_result()["status"] == "survived"
    assert worker.pop_result()["status"] == "survived"  # no executor: the first offered


def test_worker_offers_fork_when_the_threads_are_gone(start_worker, tmp_path):
    project = small_project(tmp_path, """\
        import threading
        done = threading.Thread(target=lambda: None, name="short")
        done.start()
        done.join()
        """)
    worker = start_worker(project=project, with_instrumented=False)
    assert worker.ready()["capabilities"] == ["fork", "inprocess"]
    assert "not offering fork" not in worker.stderr()
    worker.send(run(None, executor="fork"))
    assert worker.pop_result()["status"] == "survived"
