#!/usr/bin/env python3
"""Where a gremlin's milliseconds go: per-gremlin wall, the tests' own time and the overhead
(the difference), split into phases, for the warm fork, in-process and cold executors, with 1
and 2 workers, through the real CLI (``run --pytest``).  Run it as bench/fork_overhead.sh.

Projects: ``calc`` (examples/calc), ``gen`` (bench/gen_project.py: 60 tests), ``consts``
(gen_project.py --constants: 75 tests, 80 of 265 gremlins static: import-time constants, a
computed default of a decorated function, a decorator, literal defaults of a plain function).  Each cell is one ``run --pytest --no-store
--executor E --workers N`` with ``GREMLIN_WORKER_TIMING`` set, so the worker (and the cold
runner) append per-gremlin phase timestamps (adapters/pytest/gremlins_pytest/worker/timing.py).

Per gremlin (``--per-gremlin`` prints every row; the medians are always printed):

- wall: from the request line read to the result line written (warm); the runtime's
  ``execution_time_ms`` of the cold process (spawn to exit);
- tests: the tests' own time in that run (their reports' setup + call + teardown durations);
  base: the covering tests' baseline durations (manifest), summed;
- overhead = wall - tests, split into: fork (parent's fork() call), child set-up (fork return
  in the child to the first test: own group, parent-death signal, gremlin on), protocol
  (pytest's run protocol around the tests: hooks, reports, fixtures bookkeeping), report
  (verdict on the pipe to the parent + result line encoded and written), reap (kill the
  child's group, collect its exit: the kernel tears the child down here); for the cold
  executor: start-up (interpreter, imports of pytest), pytest session (configure, collect,
  reports, around the tests) and the rest.

The floor (``floor`` section): fork + _exit + waitpid of a process that has collected the gen
project, with nothing to run; and a warm fork run of one empty test through a real worker.

Targets (issue 14) are printed with "holds" / "does not hold".
"""

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAPTER = os.path.join(ROOT, "adapters", "pytest")


def median(values):
    values = list(values)
    return statistics.median(values) if values else float("nan")


def pct(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(a, b):
    return (b - a) / 1e6


def make_project(kind, dest, python):
    if kind == "calc":
        shutil.copytree(os.path.join(ROOT, "examples", "calc"), dest,
                        ignore=shutil.ignore_patterns(".gremlins", "__pycache__", ".pytest_cache"))
    elif kind in ("gen", "consts"):
        argv = [python, os.path.join(ROOT, "bench", "gen_project.py"), dest]
        if kind == "consts":
            argv.append("--constants")
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    else:
        raise SystemExit("fork_overhead: unknown project %r (calc, gen, consts)" % kind)
    return dest


def env_for(timing_file=None):
    env = dict(os.environ)
    for name in ("ACTIVE_GREMLIN", "PYTEST_ADDOPTS", "GREMLIN_INSTRUMENTED_DIR"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([ADAPTER] + [p for p in [env.get("PYTHONPATH")] if p])
    env["NO_COLOR"] = "1"
    if timing_file:
        env["GREMLIN_WORKER_TIMING"] = timing_file
    else:
        env.pop("GREMLIN_WORKER_TIMING", None)
    return env


def store_args(binary):
    """``--no-store`` (every verdict measured, none reused) when the binary has a store."""
    text = subprocess.run([binary, "run", "--help"], capture_output=True, text=True).stdout
    return ["--no-store"] if "--no-store" in text else []


def run_cell(args, project, executor, workers, work, tag):
    timing_file = os.path.join(work, "%s.timing" % tag)
    out = os.path.join(work, "%s.json" % tag)
    for path in (timing_file, out):
        if os.path.exists(path):
            os.unlink(path)
    argv = [args.bin, "run", "--pytest", "--project", project, "--python", args.python,
            "--workers", str(workers), "--executor", executor, "--timeout", str(args.timeout),
            "--no-color", "-q", "--json", out] + store_args(args.bin)
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=project, env=env_for(timing_file), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    cmd_s = time.monotonic() - started
    if proc.returncode not in (0, 3) or not os.path.isfile(out):
        sys.stderr.write("fork_overhead: %s failed (exit %d):\n%s\n%s\n" % (
            " ".join(argv), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        raise SystemExit(1)
    with open(out, encoding="utf-8") as handle:
        results = json.load(handle)
    timings = []
    if os.path.exists(timing_file):
        with open(timing_file, encoding="utf-8") as handle:
            timings = [json.loads(line) for line in handle if line.strip()]
    return {"results": results, "timings": timings, "cmd_s": cmd_s}


def manifest_of(project):
    with open(os.path.join(project, ".gremlins", "manifest.json"), encoding="utf-8") as handle:
        return json.load(handle)


def rows_of(cell, manifest):
    """Per-gremlin rows: dict gremlin -> phases in ms."""
    durations = {k: v.get("duration_ms", 0.0) for k, v in (manifest.get("tests") or {}).items()}
    base = {g["id"]: sum(durations.get(t, 0.0) for t in g.get("tests") or ())
            for g in manifest["gremlins"]}
    static = {g["id"] for g in manifest["gremlins"] if g.get("static")}
    exec_ms = {r["gremlin_id"]: r.get("execution_time_ms", 0.0) for r in cell["results"]["results"]}
    rows = {}
    last_cpu = {}  # worker pid -> cpu_us of its previous line
    for entry in sorted(cell["timings"], key=lambda e: e["t"].get("sent", e["t"].get("end", 0))):
        gid, t = entry.get("gremlin"), entry["t"]
        cpu = None
        if entry.get("executor") == "cold":
            cpu = entry.get("cpu_us", 0) / 1000.0
        elif "pid" in entry and "cpu_us" in entry:
            if entry["pid"] in last_cpu:
                cpu = (entry["cpu_us"] - last_cpu[entry["pid"]]) / 1000.0
            last_cpu[entry["pid"]] = entry["cpu_us"]
        if not gid or gid not in base:
            continue
        row = {"base": base[gid], "static": gid in static, "executor": entry.get("executor")}
        if cpu is not None:
            row["cpu"] = cpu
        if entry.get("executor") == "cold":
            wall = exec_ms.get(gid, 0.0)
            tests = t.get("tests_s", 0.0) * 1000.0
            inside = ms(t["started"], t["end"])
            session = ms(t["pytest"], t["pytest_done"]) - tests if "pytest" in t else 0.0
            row.update(wall=wall, tests=tests, startup=wall - inside + ms(t["started"], t["main"]),
                       session=session)
            row["rest"] = wall - tests - row["startup"] - session
        else:
            wall = ms(t["request"], t["sent"])
            tests = t.get("tests_s", 0.0) * 1000.0
            row.update(wall=wall, tests=tests)
            if "fork" in t and "child" in t:
                row["fork"] = ms(t["fork"], t["forked"])
                row["setup"] = ms(t["child"], t["setup"])
                row["child_start"] = ms(t["fork"], t["child"])
                row["protocol"] = ms(t["setup"], t["tests_done"]) - tests
                row["report"] = ms(t["verdict_sent"], t["verdict"]) + ms(t["reaped"], t["sent"])
                row["reap"] = ms(t["verdict"], t["reaped"])
                row["rest"] = wall - tests - row["child_start"] - row["setup"] - row["protocol"] \
                    - row["report"] - row["reap"] - (ms(t["tests_done"], t["verdict_sent"]))
            elif "setup" in t:
                row["setup"] = ms(t["request"], t["setup"])
                row["protocol"] = ms(t["setup"], t["tests_done"]) - tests
                row["report"] = ms(t["tests_done"], t["sent"])
            elif "forked" in t:  # a zygote run (static gremlin)
                row["zygote"] = True
        row["overhead"] = row["wall"] - row["tests"]
        rows[gid] = row
    return rows


PHASES = {"fork": ["fork", "child_start", "setup", "protocol", "report", "reap"],
          "inprocess": ["setup", "protocol", "report"],
          "subprocess": ["startup", "session", "rest"]}


def summarize(name, executor, workers, cell, manifest, per_gremlin):
    rows = rows_of(cell, manifest)
    summary = cell["results"]["summary"]
    total = len(cell["results"]["results"])
    run_s = summary["wall_ms"] / 1000.0
    warm = {g: r for g, r in rows.items() if not r["static"]}
    static = {g: r for g, r in rows.items() if r["static"]}
    line = {"project": name, "executor": executor, "workers": workers, "gremlins": total,
            "run_s": run_s, "rate": total / run_s if run_s else float("nan"),
            "cmd_s": cell["cmd_s"], "rows": rows,
            "verdicts": {r["gremlin_id"]: r["status"] for r in cell["results"]["results"]}}
    parts = ["%-7s %-10s w=%d  %4d gremlins  run %6.2f s  %7.1f /s" % (
        name, executor, workers, total, run_s, line["rate"])]
    for label, group in (("non-static", warm), ("static", static)):
        if not group:
            continue
        vals = list(group.values())
        cpus = [r["cpu"] for r in vals if "cpu" in r]
        text = "    %-10s n=%-4d wall %7.2f  tests %6.2f  base %6.2f  overhead %7.2f ms (median; p90 %.2f)  cpu %.2f ms (mean)" % (
            label, len(vals), median(r["wall"] for r in vals), median(r["tests"] for r in vals),
            median(r["base"] for r in vals), median(r["overhead"] for r in vals),
            pct([r["overhead"] for r in vals], 0.9),
            statistics.mean(cpus) if cpus else float("nan"))
        line["%s_cpu" % label] = statistics.mean(cpus) if cpus else float("nan")
        phases = [p for p in PHASES.get(executor, []) if any(p in r for r in vals)]
        if phases:  # a child that died or timed out has no phases of its own
            text += "\n               " + "  ".join(
                "%s %.2f" % (p, median(r[p] for r in vals if p in r)) for p in phases) + " ms (medians)"
        parts.append(text)
        line["%s_overhead" % label] = median(r["overhead"] for r in vals)
        line["%s_wall" % label] = median(r["wall"] for r in vals)
        line["%s_sum" % label] = sum(r["wall"] for r in vals)
    print("\n".join(parts))
    if per_gremlin:
        keys = ["wall", "tests", "base", "overhead", "cpu"] + PHASES.get(executor, [])
        print("      gremlin  static  " + "  ".join("%9s" % k for k in keys))
        for gid in sorted(rows):
            r = rows[gid]
            print("      %-12s %-6s  " % (gid, "yes" if r["static"] else "") + "  ".join(
                "%9.2f" % r[k] if k in r else "%9s" % "-" for k in keys))
    sys.stdout.flush()
    return line


# --- the floor ---------------------------------------------------------------------------

FLOOR_SNIPPET = r'''
import gc, os, resource, statistics, sys, time
import pytest

class Floor:
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        gc.freeze()
        samples = []
        def cpu():
            a, b = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
            return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
        cpu0 = cpu()
        for _ in range(int(sys.argv[2])):
            t0 = time.monotonic_ns()
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
            samples.append((time.monotonic_ns() - t0) / 1e6)
        print("FLOOR %.3f %.3f" % (statistics.median(samples),
                                   (cpu() - cpu0) * 1000 / int(sys.argv[2])))
        return True

os.chdir(sys.argv[1])
pytest.main(["-q", "-p", "no:cacheprovider"], plugins=[Floor()])
'''


def fork_exit_floor(python, project, count=200):
    proc = subprocess.run([python, "-c", FLOOR_SNIPPET, project, str(count)], cwd=project,
                          env=env_for(), capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("FLOOR "):
            return float(line.split()[1]), float(line.split()[2])
    sys.stderr.write("fork_overhead: floor snippet failed:\n%s\n%s\n" % (proc.stdout, proc.stderr))
    return float("nan"), float("nan")


def cpu_ms(pid):
    """CPU time (user + system) of pid and of its reaped children, in ms (/proc, 10 ms ticks)."""
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) * 1000.0 / os.sysconf("SC_CLK_TCK")


def empty_test_floor(python, work, count=200):
    """A real worker on a one-test project (``def test_empty(): pass``): ``count`` pipelined
    fork runs; the median per-run wall and phases from its timing file."""
    project = os.path.join(work, "floor")
    os.makedirs(project, exist_ok=True)
    with open(os.path.join(project, "test_empty.py"), "w") as handle:
        handle.write("def test_empty():\n    pass\n")
    timing_file = os.path.join(work, "floor.timing")
    if os.path.exists(timing_file):
        os.unlink(timing_file)
    request_r, request_w = os.pipe()
    reply_r, reply_w = os.pipe()
    env = env_for(timing_file)
    env.update(GREMLIN_PROTOCOL="1", GREMLIN_WORKER_INDEX="0",
               GREMLIN_REQUEST_FD=str(request_r), GREMLIN_REPLY_FD=str(reply_w))
    proc = subprocess.Popen([python, "-m", "gremlins_pytest.worker", "--project", project,
                             "--", "-p", "no:cacheprovider"],
                            cwd=project, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            pass_fds=(request_r, reply_w), start_new_session=True)
    os.close(request_r)
    os.close(reply_w)
    buffer, results = b"", 0
    try:
        def next_event():
            nonlocal buffer
            while b"\n" not in buffer:
                ready, _, _ = select.select([reply_r], [], [], 60)
                if not ready:
                    raise SystemExit("fork_overhead: the floor worker did not answer")
                chunk = os.read(reply_r, 65536)
                if not chunk:
                    raise SystemExit("fork_overhead: the floor worker exited")
                buffer += chunk
            line, buffer = buffer.split(b"\n", 1)
            return json.loads(line)
        assert next_event()["event"] == "ready"
        request = json.dumps({"op": "run", "gremlin": None, "executor": "fork",
                              "tests": ["test_empty.py::test_empty"]}).encode() + b"\n"
        cpu_before = cpu_ms(proc.pid)
        started = time.monotonic()
        os.write(request_w, request * count)
        while results < count:
            if next_event()["event"] == "result":
                results += 1
        elapsed = time.monotonic() - started
        cpu = (cpu_ms(proc.pid) - cpu_before) / count
        os.write(request_w, b'{"op":"shutdown"}\n')
        proc.wait(30)
    finally:
        os.close(request_w)
        os.close(reply_r)
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
    if not os.path.exists(timing_file):  # a worker without timing.py
        return {"per_run_ms": elapsed * 1000.0 / count, "cpu_ms": cpu}
    with open(timing_file) as handle:
        entries = [json.loads(line)["t"] for line in handle if line.strip()]
    walls = [ms(t["request"], t["sent"]) for t in entries]
    tests = [t.get("tests_s", 0.0) * 1000 for t in entries]
    return {"per_run_ms": elapsed * 1000.0 / count, "cpu_ms": cpu, "wall": median(walls),
            "tests": median(tests),
            "fork": median(ms(t["fork"], t["forked"]) for t in entries),
            "child_start": median(ms(t["fork"], t["child"]) for t in entries),
            "setup": median(ms(t["child"], t["setup"]) for t in entries),
            "protocol": median(ms(t["setup"], t["tests_done"]) - t.get("tests_s", 0) * 1000
                               for t in entries),
            "report": median(ms(t["verdict_sent"], t["verdict"]) + ms(t["reaped"], t["sent"])
                             for t in entries),
            "reap": median(ms(t["verdict"], t["reaped"]) for t in entries)}


def verdict_check(cells, project):
    """Names of the cells whose verdicts differ from the cold (subprocess, 1 worker) ones."""
    ref = cells.get((project, "subprocess", 1)) or cells.get((project, "subprocess", 2))
    if ref is None:
        return None, []
    bad = []
    for (p, e, w), line in sorted(cells.items()):
        if p != project:
            continue
        differ = [g for g in ref["verdicts"] if ref["verdicts"][g] != line["verdicts"].get(g)]
        if differ:
            bad.append("%s/%d: %d differ (%s)" % (e, w, len(differ), ", ".join(sorted(differ)[:5])))
    return ref, bad


def verdict_word(ok):
    return "holds" if ok else "does not hold"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("GREMLIN_ACTORS_BIN"))
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--projects", default="calc gen consts")
    parser.add_argument("--executors", default="fork inprocess subprocess")
    parser.add_argument("--workers", default="1 2")
    parser.add_argument("--cold-workers", default=None,
                        help="worker counts for the cold executor (default: --workers)")
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--per-gremlin", action="store_true", help="print every gremlin's row")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    if not args.bin:
        for candidate in ("build/cli/gremlin-actors", "build/gremlin-actors"):
            if os.access(os.path.join(ROOT, candidate), os.X_OK):
                args.bin = os.path.join(ROOT, candidate)
                break
    if not args.bin or not os.access(args.bin, os.X_OK):
        parser.error("no gremlin-actors binary: give --bin or GREMLIN_ACTORS_BIN")
    work = tempfile.mkdtemp(prefix="fork-overhead.")
    try:
        return bench(args, work)
    finally:
        if args.keep:
            print("files kept in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def bench(args, work):
    cells = {}
    projects = {}
    print("load average at start: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    for name in args.projects.split():
        project = make_project(name, os.path.join(work, name), args.python)
        projects[name] = project
        for executor in args.executors.split():
            counts = args.cold_workers if executor == "subprocess" and args.cold_workers else args.workers
            for workers in (int(w) for w in counts.split()):
                cell = run_cell(args, project, executor, workers, work,
                                "%s-%s-%d" % (name, executor, workers))
                cells[(name, executor, workers)] = summarize(
                    name, executor, workers, cell, manifest_of(project), args.per_gremlin)
    print("\nfloor:")
    gen = projects.get("gen")
    fork_exit, fork_exit_cpu = fork_exit_floor(args.python, gen) if gen else (float("nan"),) * 2
    empty = empty_test_floor(args.python, work)
    print("  fork + _exit + waitpid of a process that collected gen, nothing to run: %.2f ms wall "
          "(median of 200), %.2f ms CPU (parent + child, mean)" % (fork_exit, fork_exit_cpu))
    print("  one empty test through a real warm worker, fork executor: %.2f ms a run (200 pipelined), "
          "%.2f ms CPU a run (worker + child); worker-side wall %.2f ms: fork %.2f, child start %.2f, "
          "set-up %.2f, protocol %.2f, report %.2f, reap %.2f (medians)" % (
              empty["per_run_ms"], empty["cpu_ms"], empty["wall"], empty["fork"],
              empty["child_start"], empty["setup"], empty["protocol"], empty["report"],
              empty["reap"]))
    print("\nverdicts (against the cold executor, 1 worker):")
    for name in projects:
        ref, bad = verdict_check(cells, name)
        if ref is None:
            print("  %s: no cold cell to compare with" % name)
        else:
            print("  %s: %s" % (name, "all equal" if not bad else "; ".join(bad)))
    print("\ntargets:")
    gen_fork = cells.get(("gen", "fork", 2))
    gen_cold = cells.get(("gen", "subprocess", 2))
    if gen_fork:
        over = gen_fork.get("non-static_overhead", float("nan"))
        print("  warm fork overhead per gremlin beyond its tests (gen, median, 2 workers) <= 3 ms: "
              "%.2f ms: %s" % (over, verdict_word(over <= 3.0)))
        print("  >= 200 gremlins/s on gen with 2 workers (fork): %.1f /s: %s"
              % (gen_fork["rate"], verdict_word(gen_fork["rate"] >= 200)))
        print("    (the measured floor: fork + exit of the warm worker with nothing to run %.2f ms "
              "wall, %.2f ms CPU; one empty test %.2f ms a run, %.2f ms CPU; a warm gremlin of gen "
              "costs %.2f ms CPU, so 2 cores give at most %.0f gremlins/s when nothing else runs)"
              % (fork_exit, fork_exit_cpu, empty["per_run_ms"], empty["cpu_ms"],
                 gen_fork.get("non-static_cpu", float("nan")),
                 2000.0 / gen_fork.get("non-static_cpu", float("nan"))))
    if gen_fork and gen_cold:
        ratio = gen_cold["run_s"] / gen_fork["run_s"]
        print("  run --pytest on gen >= 50x faster than the covering tests in a fresh interpreter "
              "(cold executor, 2 workers): %.1fx: %s" % (ratio, verdict_word(ratio >= 50)))
    c_fork, c_cold = cells.get(("consts", "fork", 2)), cells.get(("consts", "subprocess", 2))
    if c_fork and c_cold and "static_wall" in c_fork and "static_wall" in c_cold:
        ratio = c_cold["static_wall"] / c_fork["static_wall"]
        _, bad = verdict_check(cells, "consts")
        print("  static gremlins >= 5x faster than in a fresh interpreter (consts, median wall, "
              "2 workers): %.1fx (%.1f vs %.1f ms), verdicts %s: %s" % (
                  ratio, c_fork["static_wall"], c_cold["static_wall"],
                  "equal" if not bad else "DIFFER", verdict_word(ratio >= 5 and not bad)))
        share = c_fork["static_sum"] / (c_fork["static_sum"] + c_fork.get("non-static_sum", 0.0))
        print("  static gremlins take <= 1/3 of the worker time (consts: %d of %d gremlins static, "
              "fork, 2 workers): %.2f: %s" % (
                  sum(1 for r in c_fork["rows"].values() if r["static"]), c_fork["gremlins"],
                  share, verdict_word(share <= 1 / 3)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
