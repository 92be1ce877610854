"""pytest plugin: ``pytest --gremlins``, run through gremlin-actors.

    pytest --gremlins [--gremlin-parallel] [--gremlin-workers=N] [--gremlin-batch]
           [--gremlin-batch-size=N] [--gremlin-operators=a,b] [--gremlin-targets=p,q]
           [--gremlin-report=console|html|json ...] [--gremlins-html-dir=DIR]
           [--gremlin-cache] [--gremlin-clear-cache] [PYTEST ARGUMENTS ...]

runs ``gremlin-actors run --pytest --project <rootdir> --python <this interpreter> ... --
<pytest arguments>`` instead of the normal test session and exits with its exit code (a
signal that killed it as 128 + its number, as a shell shows it).  The pytest arguments are the
ones pytest itself was given (``config.invocation_params.args``) without this plugin's own
options, paths made relative to the rootdir: the baseline, the coverage, the warm workers and
the cold runs all use them.  Without ``--gremlins`` the plugin does nothing.  The binary is
$GREMLIN_ACTORS_BIN, else ``gremlin-actors`` on PATH, else the newest ``build*/gremlin-actors``
(or ``build*/cli/gremlin-actors``) of the source tree this adapter lives in.

pytest-gremlins registers ``--gremlins`` too.  When its plugin is (or is about to be) loaded,
this one stands down: it declares no option, does nothing, and says so in one line of pytest's
header.  Both use the entry point name ``gremlins``, so pytest loads only the first one it
finds; when that is this one, pytest-gremlins' plugin is registered here in its place, so that
``--gremlins`` means pytest-gremlins whenever it is installed (``-p no:gremlins -p
gremlins_pytest.plugin`` picks this one).
"""

import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

ADAPTER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_TREE = os.path.dirname(os.path.dirname(ADAPTER_DIR))

#: The formats of --gremlin-report (pytest-gremlins' names).
REPORTS = ("console", "html", "json")
#: Where pytest-gremlins writes its HTML report (``--gremlins-html-dir``), under the rootdir.
HTML_DIR = os.path.join("coverage", "gremlins")
#: The module other plugins name this one by (``-p gremlins_pytest.plugin``).
PLUGIN_MODULE = __name__
#: pytest-gremlins' top-level package.
OTHER_PACKAGE = "pytest_gremlins"
#: Set in the environment of every pytest run of a mutation run (run.json's env).
INSIDE_RUN_ENV = "GREMLIN_INSTRUMENTED_DIR"

#: Why this plugin stands down, or None (see the module's docstring).
_stood_down = None

#: This plugin's options: (names, argparse attributes).
OPTIONS = [
    (("--gremlins",), dict(action="store_true", default=False,
                           help="run mutation testing (gremlin-actors) instead of the tests")),
    (("--gremlin-parallel",), dict(action="store_true", default=False,
                                   help="test gremlins on several workers at once")),
    (("--gremlin-workers",), dict(type=int, default=None, metavar="N",
                                  help="number of workers (default: CPU count)")),
    (("--gremlin-batch",), dict(action="store_true", default=False,
                                help="send gremlins to the workers in batches (alone: as many "
                                     "workers as CPUs)")),
    (("--gremlin-batch-size",), dict(type=int, default=None, metavar="N",
                                     help="gremlins per batch (default 10)")),
    (("--gremlin-operators",), dict(default=None, metavar="LIST",
                                    help="comma-separated operators, or all (default: all "
                                         "but string, call; python -m gremlins_pytest "
                                         "list-operators)")),
    (("--gremlin-cache",), dict(action="store_true", default=False,
                                help="keep verdicts in .gremlins/results.db and reuse unchanged "
                                     "ones (the default)")),
    (("--gremlin-clear-cache",), dict(action="store_true", default=False,
                                      help="forget the stored verdicts: test every gremlin again")),
    (("--gremlin-targets",), dict(default=None, metavar="LIST",
                                  help="comma-separated source files or folders to mutate")),
    (("--gremlin-report",), dict(action="append", default=None, metavar="FORMAT",
                                 help="console (default), html (writes DIR/index.html, see "
                                      "--gremlins-html-dir) or json (names the results file); "
                                      "repeat or comma-separate to combine")),
    (("--gremlins-html-dir",), dict(default=None, metavar="DIR",
                                    help="folder of the HTML report (default: coverage/gremlins "
                                         "under the rootdir)")),
]
OPTION_NAMES = {name for names, _ in OPTIONS for name in names}


def _declared(parser, name):
    """Whether some plugin declared the option ``name`` already."""
    groups = list(getattr(parser, "_groups", []))
    anonymous = getattr(parser, "_anonymous", None)
    if anonymous is not None:
        groups.append(anonymous)
    return any(name in option.names() for group in groups for option in group.options)


def _other_entry_points():
    """pytest-gremlins' pytest11 entry points, from every installed distribution."""
    try:
        import importlib.metadata as metadata
        distributions = list(metadata.distributions())
    except Exception:  # a broken metadata folder must not break every pytest run
        return []
    return [ep for dist in distributions for ep in dist.entry_points
            if ep.group == "pytest11" and ep.value.split(":")[0].split(".")[0] == OTHER_PACKAGE]


def _stand_down_reason(parser, pluginmanager):
    """Why this plugin must leave ``--gremlins`` to pytest-gremlins, or None; registers
    pytest-gremlins' plugin when its entry point was shadowed by this one's."""
    if _declared(parser, "--gremlins"):
        return "another plugin (pytest-gremlins) declares --gremlins"
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return None
    for ep in _other_entry_points():
        module = ep.value.split(":")[0]
        if pluginmanager.is_blocked(ep.name) or pluginmanager.is_blocked(module):
            continue
        holder = pluginmanager.get_plugin(ep.name)
        if holder is None:
            return "pytest-gremlins is installed and loads after this plugin"
        if holder is sys.modules.get(PLUGIN_MODULE):
            # Same entry point name: pytest would skip pytest-gremlins; load it here.
            pluginmanager.register(ep.load(), OTHER_PACKAGE)
            return "pytest-gremlins is installed (pytest skipped it for this plugin, which loaded it)"
    return None


def _declare_options(parser, pluginmanager):
    global _stood_down
    _stood_down = _stand_down_reason(parser, pluginmanager)
    if _stood_down:
        return
    group = parser.getgroup("gremlins", "mutation testing with gremlin-actors")
    for names, attrs in OPTIONS:
        group.addoption(*names, **attrs)


def pytest_addoption(parser, pluginmanager):
    """Registered by a conftest (``pytest_plugins``): the plugins are all there, declare now.
    Otherwise the options are declared once every plugin of the command line, the entry
    points and PYTEST_PLUGINS is registered (pytest_load_initial_conftests), so that a
    pytest-gremlins registered after this plugin is seen too."""
    global _stood_down
    _stood_down = None
    if getattr(pluginmanager, "_conftest_plugins", None):
        _declare_options(parser, pluginmanager)


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    yield  # the initial conftests, and the plugins they name, are registered after this
    if not _declared(parser, "--gremlin-parallel") and _stood_down is None:
        _declare_options(parser, early_config.pluginmanager)


def pytest_report_header(config):
    if _stood_down:
        return ("gremlins_pytest: %s; --gremlins is pytest-gremlins', gremlin-actors' plugin "
                "stands down (use `gremlin-actors run --pytest`, or `-p no:gremlins -p %s`)"
                % (_stood_down, PLUGIN_MODULE))
    return None


def find_binary():
    """The gremlin-actors executable, or None."""
    explicit = os.environ.get("GREMLIN_ACTORS_BIN")
    if explicit:
        return explicit
    on_path = shutil.which("gremlin-actors")
    if on_path:
        return on_path
    candidates = [p for pattern in ("build*/gremlin-actors", "build*/cli/gremlin-actors")
                  for p in glob.glob(os.path.join(SOURCE_TREE, pattern))
                  if os.path.isfile(p) and os.access(p, os.X_OK)]
    return max(candidates, key=os.path.getmtime) if candidates else None


#: pytest options that take a value, for when pytest's parser cannot be asked.
KNOWN_VALUE_OPTIONS = {"-k", "-m", "-p", "-o", "-c", "-W", "--rootdir", "--tb", "--deselect",
                       "--ignore", "--ignore-glob", "--confcutdir", "--basetemp", "--maxfail",
                       "--durations", "--junitxml", "--junit-xml", "--override-ini",
                       "--import-mode", "--log-level", "--capture", "--pythonwarnings"}


def _value_options(config):
    """The option strings of pytest's parser that take a value."""
    try:
        actions = config._parser._getparser()._option_string_actions
        return {name for name, action in actions.items() if action.nargs != 0}
    except Exception:  # pytest's parser is not public API
        return set(KNOWN_VALUE_OPTIONS) | {n for n, a in OPTIONS if a.get("action") in (None, "append")}


#: pytest-xdist's worker count (pytest-gremlins 1.5: ``pytest --gremlins -n auto``): it becomes
#: gremlin-actors' workers, and is not passed on (every run is kept in-process).
XDIST_OPTIONS = {"-n", "--numprocesses"}


def xdist_workers(option):
    """gremlin-actors' options for ``-n N`` / ``-n auto``, when --gremlin-workers is not given."""
    n = getattr(option, "numprocesses", None)
    if n is None or option.gremlin_workers is not None:
        return []
    if isinstance(n, str) and not n.isdigit():
        return ["--parallel"]  # auto, logical: every CPU
    return ["--workers", str(n)] if int(n) > 0 else []


#: pytest options whose value is a path pytest reads relative to the invocation folder.
PATH_VALUE_OPTIONS = {"-c", "--config-file", "--rootdir", "--confcutdir", "--basetemp",
                      "--ignore", "--ignore-glob", "--junitxml", "--junit-xml"}


def _path_relative_to_rootdir(path, invocation_dir, rootdir):
    """A path given relative to the invocation folder, relative to the rootdir instead (or
    absolute when it is outside)."""
    if not path or os.path.isabs(path) or invocation_dir == rootdir:
        return path
    full = os.path.normpath(os.path.join(invocation_dir, path))
    rel = os.path.relpath(full, rootdir)
    return full if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel


def _relative_to_rootdir(arg, invocation_dir, rootdir):
    """A file-or-dir argument (``path[::node]``) written relative to the invocation folder,
    rewritten relative to the rootdir (where every run of gremlin-actors starts)."""
    path, sep, rest = arg.partition("::")
    if not path or os.path.isabs(path):
        return arg
    full = os.path.normpath(os.path.join(invocation_dir, path))
    if not os.path.exists(full):
        return arg
    rel = os.path.relpath(full, rootdir)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        rel = full
    return rel + sep + rest


def forwarded_arguments(config):
    """pytest's own arguments of this invocation, for gremlin-actors: what pytest was given,
    without this plugin's options (and their values) and without ``-p gremlins_pytest.plugin``,
    file-or-dir arguments and the paths of PATH_VALUE_OPTIONS relative to the rootdir (every
    run of gremlin-actors starts there)."""
    args = [str(a) for a in config.invocation_params.args]
    takes_value = _value_options(config)
    invocation_dir = str(config.invocation_params.dir)
    rootdir = str(config.rootpath)
    out = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            out.append(arg)
            out += [_relative_to_rootdir(a, invocation_dir, rootdir) for a in args[i:]]
            break
        if not arg.startswith("-") or arg == "-":
            out.append(_relative_to_rootdir(arg, invocation_dir, rootdir))
            continue
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            attached = bool(eq)
        else:
            name, value = arg[:2], arg[2:]
            attached = bool(value)
        separate = not attached and name in takes_value and i < len(args)
        if separate:
            value = args[i]
            i += 1
        if name in OPTION_NAMES or name in XDIST_OPTIONS or (name == "-p" and value == PLUGIN_MODULE):
            continue
        if name in PATH_VALUE_OPTIONS and (attached or separate):
            value = _path_relative_to_rootdir(value, invocation_dir, rootdir)
            if attached:
                arg = name + ("=" if name.startswith("--") else "") + value
        out += [arg, value] if separate else [arg]
    return out


def report_formats(option):
    """The formats of --gremlin-report, or a message naming the one that is not one."""
    formats = []
    for given in option.gremlin_report or []:
        for name in given.split(","):
            name = name.strip()
            if name not in REPORTS:
                raise ValueError("--gremlin-report: %r is not one of %s" % (name, ", ".join(REPORTS)))
            formats.append(name)
    return formats or ["console"]


def html_report_path(option, rootdir):
    folder = option.gremlins_html_dir or os.path.join(str(rootdir), HTML_DIR)
    return os.path.join(os.path.abspath(folder), "index.html")


def build_command(binary, option, rootdir, pytest_args=()):
    """The gremlin-actors argv for the parsed options (``option`` = config.option) and
    pytest's own arguments."""
    command = [binary, "run", "--pytest", "--project", str(rootdir), "--python", sys.executable]
    workers = option.gremlin_workers
    if option.gremlin_parallel or (option.gremlin_batch and workers is None):
        command.append("--parallel")  # pytest-gremlins: --gremlin-batch alone uses every CPU
    if workers is not None:
        command += ["--workers", str(workers)]
    command += xdist_workers(option)
    if option.gremlin_batch:
        command.append("--batch")
    if option.gremlin_batch_size is not None:
        command += ["--batch-size", str(option.gremlin_batch_size)]
    if option.gremlin_operators:
        command += ["--operators", option.gremlin_operators]
    if option.gremlin_targets:
        command += ["--targets", option.gremlin_targets]
    if "html" in report_formats(option):
        command += ["--report-html", html_report_path(option, rootdir)]
    # The results store is on with --pytest; --gremlin-cache says so, --gremlin-clear-cache
    # starts it afresh (docs/results-store.md).
    if getattr(option, "gremlin_clear_cache", False):
        command.append("--force")
    if pytest_args:
        command += ["--"] + list(pytest_args)
    return command


def exit_code(returncode):
    """subprocess' return code as a process exit code: a signal N (negative) is 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def say(text):
    """A line on the standard output, which may have been closed (``| head``): then nothing
    more is written there, and the interpreter's exit does not fail on it either."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass


#: Signals passed on to gremlin-actors when this process gets them.  SIGINT is not: Ctrl-C
#: reaches the terminal's whole foreground process group, gremlin-actors included, and a
#: second one would make it kill its tests at once instead of stopping them.
PASSED_ON = (signal.SIGTERM, signal.SIGHUP)


def wait_passing_signals(proc):
    """Waits for gremlin-actors to end, however this process is signalled: it stops the run,
    writes the results so far and exits 130, 143 or 129 itself (docs/exit-codes.md).  Without
    this, Ctrl-C would raise KeyboardInterrupt here and SIGTERM would end this process while
    gremlin-actors runs on, or is killed before it writes anything."""
    def pass_on(signum, frame):
        try:
            proc.send_signal(signum)
        except OSError:
            pass

    previous = {sig: signal.signal(sig, pass_on) for sig in PASSED_ON}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        return proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    if _stood_down or not getattr(config.option, "gremlins", False):
        return None
    if config.option.help or config.option.version:
        return None  # pytest shows its help or version
    if os.environ.get(INSIDE_RUN_ENV):
        sys.stderr.write("pytest --gremlins: ignored inside a mutation run (%s is set)\n"
                         % INSIDE_RUN_ENV)
        return None
    try:
        formats = report_formats(config.option)
    except ValueError as exc:
        sys.stderr.write("pytest --gremlins: error: %s\n" % exc)
        return 2
    binary = find_binary()
    if binary is None:
        sys.stderr.write("pytest --gremlins: gremlin-actors not found: set GREMLIN_ACTORS_BIN, "
                         "put it on PATH, or build it in %s/build\n" % SOURCE_TREE)
        return 2
    rootdir = config.rootpath
    command = build_command(binary, config.option, rootdir, forwarded_arguments(config))
    if "html" in formats:
        try:
            os.makedirs(os.path.dirname(html_report_path(config.option, rootdir)), exist_ok=True)
        except OSError as exc:
            sys.stderr.write("pytest --gremlins: error: --gremlins-html-dir: cannot make %s: %s\n"
                             % (exc.filename, exc.strerror))
            return 2
    started = time.time()
    try:
        proc = subprocess.Popen(command, cwd=str(rootdir))
    except OSError as exc:
        sys.stderr.write("pytest --gremlins: cannot run %s: %s\n" % (binary, exc))
        return 2
    code = exit_code(wait_passing_signals(proc))
    results = os.path.join(str(rootdir), ".gremlins", "results.json")
    if "json" in formats and os.path.isfile(results) and os.path.getmtime(results) >= started - 1:
        say("pytest --gremlins: JSON results: %s" % results)
    html = html_report_path(config.option, rootdir)
    if "html" in formats and os.path.isfile(html) and os.path.getmtime(html) >= started - 1:
        say("pytest --gremlins: HTML report: %s" % html)
    return code
