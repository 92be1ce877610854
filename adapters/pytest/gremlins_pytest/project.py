"""A project's Python sources: which files are targets, their module names, and the
instrumented tree written from them (the project's own files are only ever read)."""

import fnmatch
import hashlib
import io
import os
import re
import shutil
import sys
import tokenize

from . import instrument, switch
from .errors import UsageError

#: Folder names never searched for targets.
EXCLUDED_DIRS = {
    "tests", "test", "testing", "__pycache__", "build", "dist", "node_modules", "site-packages",
    "venv", "env", "docs", "examples",
}
#: File names never instrumented.
EXCLUDED_FILES = {"conftest.py", "setup.py", "noxfile.py", switch.FILE_NAME}


def is_test_file(name):
    return (name in EXCLUDED_FILES or name.startswith("test_") or name.endswith("_test.py")
            or not name.endswith(".py"))


def is_excluded_dir(path, name):
    return (name.startswith(".") or name in EXCLUDED_DIRS or name.endswith(".egg-info")
            or os.path.exists(os.path.join(path, "pyvenv.cfg")))


def _walk(project, folder):
    """Project-relative paths of the source files under ``folder`` (sorted, deterministic)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not is_excluded_dir(os.path.join(root, d), d))
        for name in sorted(files):
            if not is_test_file(name):
                found.append(os.path.relpath(os.path.join(root, name), project))
    return found


def discover(project):
    """Default targets: the packages and modules of ``src/`` if it has any, else the flat
    layout's top-level packages (folders with ``__init__.py``) and modules."""
    src = os.path.join(project, "src")
    if os.path.isdir(src):
        files = _walk(project, src)
        if files:
            return files
    files = []
    for name in sorted(os.listdir(project)):
        path = os.path.join(project, name)
        if os.path.isfile(path) and not is_test_file(name):
            files.append(name)
        elif (os.path.isdir(path) and not is_excluded_dir(path, name)
              and os.path.isfile(os.path.join(path, "__init__.py"))):
            files.extend(_walk(project, path))
    return files


#: Characters that make a target or an exclusion a glob pattern.
GLOB_CHARS = "*?["


def is_glob(text):
    return any(c in text for c in GLOB_CHARS)


def _items(args):
    """The entries of list arguments: a comma inside one argument separates entries too."""
    return [t.strip() for arg in args for t in arg.split(",") if t.strip()]


def glob_matches(pattern, relpath):
    """fnmatch-style (``*`` also crosses ``/``; ``**/`` may match no folder at all) against a
    project-relative path written with ``/``; a pattern without ``/`` also matches the bare
    file or folder name (``*_pb2.py``, ``migrations``)."""
    pattern = pattern.replace(os.sep, "/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    candidates = [pattern]
    if "**/" in pattern:
        candidates.append(pattern.replace("**/", ""))
    names = [relpath]
    if "/" not in pattern:
        names.append(relpath.rsplit("/", 1)[-1])
    return any(fnmatch.fnmatchcase(n, c) for n in names for c in candidates)


def _walk_everything(project):
    """Every project-relative source file a glob may pick: as _walk from the project root, but
    into every folder but hidden ones, caches and virtual environments."""
    found = []
    for root, dirs, files in os.walk(project):
        dirs[:] = sorted(d for d in dirs if not (
            d.startswith(".") or d in ("__pycache__", "node_modules", "site-packages")
            or d.endswith(".egg-info") or os.path.exists(os.path.join(root, d, "pyvenv.cfg"))))
        for name in sorted(files):
            if not is_test_file(name):
                found.append(os.path.relpath(os.path.join(root, name), project))
    return found


def _inside(project, option, text):
    """``text`` (relative to the project or absolute inside it) as a normalized absolute path."""
    path = os.path.normpath(os.path.join(project, text))
    if os.path.relpath(path, project).startswith(".."):
        raise UsageError("%s: %s is outside the project %s" % (option, text, project))
    return path


def resolve_targets(project, targets):
    """Project-relative source files of explicit targets: files or folders (relative to the
    project or absolute inside it) or glob patterns over the project's source files
    (glob_matches); a comma inside one argument separates targets too.  A target that names
    no Python file is refused."""
    files = []
    everything = None
    for target in _items(targets):
        if is_glob(target):
            if everything is None:
                everything = _walk_everything(project)
            picked = [f for f in everything if glob_matches(target, f.replace(os.sep, "/"))]
            if not picked:
                raise UsageError("--targets: the pattern %s matches no Python source file of %s"
                                 % (target, project))
            files.extend(picked)
            continue
        path = _inside(project, "--targets", target)
        if os.path.isdir(path):
            files.extend(_walk(project, path))
        elif os.path.isfile(path) and path.endswith(".py"):
            files.append(os.path.relpath(path, project))
        else:
            raise UsageError("--targets: %s is not a Python file or folder of %s"
                             % (target, project))
    return sorted(set(files))


def exclude_files(project, files, excludes, log=lambda message: None):
    """``files`` (project-relative) without those an exclusion names: a file or a folder (all
    below it), relative to the project or absolute inside it, or a glob pattern; each is
    tried (glob_matches) on the file and on every folder above it, so a name without ``/``
    (``vendor``, ``*_pb2.py``) matches at any depth.  An exclusion that removes nothing is
    noted through ``log``, not refused (a pattern for files that come and go stays valid)."""
    kept = list(files)
    for item in _items(excludes):
        pattern = item
        if not is_glob(item):
            pattern = os.path.relpath(_inside(project, "--exclude", item), project)
            if pattern == ".":
                pattern = "*"

        def hit(relpath, pattern=pattern.replace(os.sep, "/")):
            parts = relpath.replace(os.sep, "/").split("/")
            return any(glob_matches(pattern, "/".join(parts[:n]))
                       for n in range(len(parts), 0, -1))
        left = [f for f in kept if not hit(f)]
        if len(left) == len(kept):
            log("--exclude: %s matches none of the files to mutate" % item)
        kept = left
    return kept


#: mutmut's spelling; anywhere in a comment of the line.
PRAGMA = re.compile(r"#.*\bpragma:\s*no\s+mutate\b")


def pragma_lines(source):
    """The line numbers whose comment says ``# pragma: no mutate`` (comments only: the same
    text inside a string does not count)."""
    lines = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and PRAGMA.match(token.string):
                lines.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines


def without_pragma(sites, source):
    """The sites of a file minus those on a ``# pragma: no mutate`` line: a site is skipped
    when any line from its first to its last carries the pragma.  Ids are given before this
    filter, so adding a pragma changes no other gremlin's id."""
    skipped = pragma_lines(source)
    if not skipped:
        return list(sites)
    return [s for s in sites if not any(n in skipped for n in range(s.line, s.end_line + 1))]


def import_root(project, relpath):
    """The sys.path entry a file is imported from: ``src/`` for the src layout, else the
    first folder above it that is not a package."""
    parts = relpath.replace(os.sep, "/").split("/")
    if parts[0] == "src" and len(parts) > 1:
        return "src"
    folder = os.path.dirname(relpath)
    while folder and os.path.isfile(os.path.join(project, folder, "__init__.py")):
        folder = os.path.dirname(folder)
    return folder


def module_name(project, relpath):
    """(dotted module name, is package, path relative to the import root)."""
    root = import_root(project, relpath)
    inner = os.path.relpath(relpath, root) if root else relpath
    parts = inner.replace(os.sep, "/")[:-3].split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package, inner


def id_prefixes(relpaths):
    """Each file's gremlin id prefix; files whose tokens collide get a short path hash."""
    prefixes = {p: instrument.id_prefix(p) for p in relpaths}
    counts = {}
    for prefix in prefixes.values():
        counts[prefix] = counts.get(prefix, 0) + 1
    for path, prefix in prefixes.items():
        if counts[prefix] > 1:
            digest = hashlib.sha1(path.replace(os.sep, "/").encode()).hexdigest()[:6]
            prefixes[path] = "%s_%s" % (prefix, digest)
    return prefixes


def read_source(path):
    with tokenize.open(path) as handle:
        return handle.read()


def _prepare_folder(inst):
    """An empty instrumented folder; refuses to delete a folder it did not make."""
    if os.path.isdir(inst):
        entries = os.listdir(inst)
        if entries and switch.FILE_NAME not in entries:
            raise UsageError("%s exists and was not made by gremlins_pytest; not replacing it"
                             % inst)
        shutil.rmtree(inst)
    os.makedirs(inst)


def _copy_data_files(project, relpaths, inst):
    """Non-Python files next to instrumented package modules (so __file__-relative data works)."""
    done = set()
    for relpath in relpaths:
        name, is_package, inner = module_name(project, relpath)
        if not is_package:
            continue
        source_dir = os.path.dirname(os.path.join(project, relpath))
        target_dir = os.path.dirname(os.path.join(inst, inner))
        if source_dir in done:
            continue
        done.add(source_dir)
        for entry in os.listdir(source_dir):
            path = os.path.join(source_dir, entry)
            if (os.path.isfile(path) and not entry.endswith((".py", ".pyc"))
                    and not entry.startswith(".")):
                shutil.copy2(path, os.path.join(target_dir, entry))


def build(project, relpaths, inst, operators, log=lambda message: None):
    """Instrument ``relpaths`` into ``inst``: returns the manifest entries (without tests),
    in id order, and the module map written into ``_gremlins_switch.py``."""
    _prepare_folder(inst)
    prefixes = id_prefixes(relpaths)
    gremlins, modules, owners = [], {}, {}
    for relpath in relpaths:
        name, is_package, inner = module_name(project, relpath)
        if not name or name in owners:
            log("skipping %s: module name %r already taken by %s" % (relpath, name,
                                                                     owners.get(name)))
            continue
        owners[name] = relpath
        source = read_source(os.path.join(project, relpath))
        try:
            result = instrument.instrument_source(source, relpath.replace(os.sep, "/"),
                                                  operators, prefix=prefixes[relpath])
        except (SyntaxError, ValueError, RecursionError) as exc:
            log("not instrumenting %s: %s" % (relpath, exc))
            result = instrument.Instrumented(source, [])
        out = os.path.join(inst, inner)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(result.source)
        original_dir = os.path.dirname(os.path.join(project, relpath)) if is_package else None
        modules[name] = [inner.replace(os.sep, "/"), is_package, original_dir]
        sites = without_pragma(result.sites, source)
        if len(sites) < len(result.sites):
            log("%s: %d gremlins left out by # pragma: no mutate"
                % (relpath, len(result.sites) - len(sites)))
        gremlins.extend(site.as_manifest(relpath.replace(os.sep, "/")) for site in sites)
    _copy_data_files(project, list(owners.values()), inst)
    with open(os.path.join(inst, switch.FILE_NAME), "w", encoding="utf-8") as handle:
        handle.write(switch.render(modules))
    gremlins.sort(key=lambda g: g["id"])
    return gremlins, modules


def python_path(inst, extra=()):
    """PYTHONPATH for running the instrumented project: the instrumented tree first, then the
    adapter (so ``-m gremlins_pytest...`` works), then ``extra``, then the caller's own."""
    adapter = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = [inst, adapter] + [os.path.abspath(p) for p in extra]
    parts += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    seen, ordered = set(), []
    for part in parts:
        if part not in seen:
            seen.add(part)
            ordered.append(part)
    return os.pathsep.join(ordered)


def interpreter():
    return os.path.abspath(sys.executable)
