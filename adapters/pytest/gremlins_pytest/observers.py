"""Which tests can observe a static gremlin in a default argument.

A default's value is computed once, when the ``def`` runs at import, and kept in the function
object.  Until something reads it, a run with the gremlin on does exactly what a run without it
does.  Only two things read it: a call of the function that leaves the argument out (the body
then runs with it), and introspection of the function object (``__defaults__``,
``inspect.signature`` and the like, by the project or by a library it hands the function to).
The instrumenter puts a probe at the start of such a function's body (instrument.Observer), so
the baseline and the isolation check record which tests call it.  Those tests are the ones that
can observe the gremlin, provided introspection is ruled out.  This module rules it out, from
every Python file of the project (code under test, tests, conftest files, scripts), or keeps the
whole suite:

- no file names an introspection tool (INTROSPECTION, as a name, an attribute or a string);
- the function's name appears nowhere but where it is called, defined or imported: a function
  passed around (``register(f)``, ``callbacks = [f]``, ``obj.method`` without a call) may reach
  a library that reads its signature;
- each enclosing class is plain: no decorator but ``dataclass`` and ``total_ordering``, no class
  keyword but ``metaclass=ABCMeta``, and every base a builtin type, ``ABC``, ``Generic``,
  ``Protocol`` or a plain class of the project (a library base class or metaclass may read the
  methods' signatures when the class is made);
- the function was never called outside a test (at import or collection time: then what it
  returned may be kept and seen anywhere).

When all hold, the gremlin's tests are the tests that called the function, in the baseline or
alone (none: no test can observe it, ``no_coverage``).

A module constant (``NAME = <literal or + - * arithmetic on numbers>``, bound once, read by no
module-level code of its module: instrument.GlobalObserver) is read only through its module's
global ``NAME``, by the module's functions (each carries a probe), or as an attribute
``module.NAME``.  Its tests are the tests that called one of those functions, the test
functions that read ``.NAME`` themselves, and every collected test that is not a Python
function the scan saw (a doctest, a plugin's item: their code is not visible here).  The whole
suite instead when any file reads attributes by computed names (DYNAMIC_ACCESS: ``getattr``,
``vars``, ``__dict__``, ...) or imports ``*``, when ``NAME`` is imported by name (``from m
import NAME`` copies it at import time), written as a string, or read as ``.NAME`` anywhere but
directly in a test function (module level, a helper, a fixture, a nested function), or when a
reading function was called outside a test.
"""

import ast
import builtins
import os

from .instrument import last_name

#: Names that read a function's defaults or the arguments a call bound.
INTROSPECTION = {"__defaults__", "__kwdefaults__", "__signature__", "signature", "from_callable",
                 "getfullargspec", "getargspec", "getcallargs", "getargvalues",
                 "getgeneratorlocals", "getcoroutinelocals", "gi_frame", "cr_frame", "ag_frame"}

#: Names that read a module's globals without naming them (a module constant's gremlin then
#: runs the whole suite).
DYNAMIC_ACCESS = {"vars", "dir", "globals", "__dict__", "__globals__", "getmembers",
                  "getattr", "__getattribute__", "reload"}

#: Class decorators that do not look at the methods' signatures.
PLAIN_CLASS_DECORATORS = {"dataclass", "total_ordering"}
#: Base classes (by last name) that do not look at the methods' signatures.
PLAIN_BASES = {"ABC", "Generic", "Protocol"} | {
    name for name, value in vars(builtins).items() if isinstance(value, type)}
#: Folders never scanned.
SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages"}


class Scan:
    """What the project's Python files show about introspection and passed-around names."""

    def __init__(self):
        self.introspection = []  # "file:line: name" of each use of an INTROSPECTION name
        self.dynamic = []        # "file:line: name" of each use of a DYNAMIC_ACCESS name
        self.escaped = set()     # names used other than as the function of a call
        self.strings = set()     # identifiers written as strings (not in __all__)
        self.imported = set()    # names imported by ``from ... import NAME``; "*" too
        self.classes = {}        # class name: [(plain decorators and keywords, [base names])]
        self.aliases = {}        # ``import ... as`` name: the names it stands for
        self.attributes = {}     # NAME: [(file, function) of each ``x.NAME`` read; None where
                                 # not in a module-level function or a method of a class]
        self.functions = set()   # (file, name) of the module-level functions and methods

    def read(self, relpath, source):
        """Read one file (one that does not parse cannot run, and is skipped)."""
        try:
            tree = ast.parse(source, filename=relpath)
        except (SyntaxError, ValueError):
            return
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        exported = set()  # the strings of __all__: names to import, not to look up
        for node in ast.walk(tree):
            targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
            if (isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)):
                exported.update(id(n) for n in ast.walk(node))
        self._attribute_reads(relpath, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                self._name(relpath, node, node.id, id(node) in called)
            elif isinstance(node, ast.Attribute):
                self._name(relpath, node, node.attr, id(node) in called)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in INTROSPECTION:
                    self.introspection.append("%s:%d: %r" % (relpath, node.lineno, node.value))
                if node.value.isidentifier() and id(node) not in exported:
                    self.escaped.add(node.value)  # getattr(module, "f") and the like
                    self.strings.add(node.value)
            elif isinstance(node, ast.ImportFrom):
                self.imported.update(a.name for a in node.names)
            elif isinstance(node, ast.alias):
                name = node.name.rsplit(".", 1)[-1]
                if name in INTROSPECTION:
                    self.introspection.append("%s:%d: %s" % (relpath, node.lineno, name))
                if node.asname:
                    self.aliases.setdefault(node.asname, set()).add(name)
            elif isinstance(node, ast.ClassDef):
                plain = (all(last_name(d) in PLAIN_CLASS_DECORATORS for d in node.decorator_list)
                         and all(k.arg == "metaclass" and last_name(k.value) == "ABCMeta"
                                 for k in node.keywords))
                bases = [last_name(b) for b in node.bases]
                self.classes.setdefault(node.name, []).append((plain, bases))

    def _name(self, relpath, node, name, called):
        if name in INTROSPECTION:
            self.introspection.append("%s:%d: %s" % (relpath, node.lineno, name))
        if name in DYNAMIC_ACCESS:
            self.dynamic.append("%s:%d: %s" % (relpath, node.lineno, name))
        if not called and isinstance(node.ctx, ast.Load):
            self.escaped.add(name)

    def _attribute_reads(self, relpath, tree):
        """attributes and functions: each ``x.NAME`` read, with the module-level function or
        method of a module-level class whose own body holds it (None anywhere else: module
        level, class bodies, decorators, defaults, nested functions, lambdas)."""
        scoped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

        def visit(node, where):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                self.attributes.setdefault(node.attr, []).append(where)
            for child in ast.iter_child_nodes(node):
                visit(child, None if isinstance(child, scoped) else where)

        def function(node):
            self.functions.add((relpath, node.name))
            for part in node.decorator_list + [node.args, node.returns]:
                if part is not None:
                    visit(part, None)
            for statement in node.body:
                visit(statement, (relpath, node.name))

        for statement in tree.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                function(statement)
            elif isinstance(statement, ast.ClassDef):
                for part in statement.decorator_list + statement.bases:
                    visit(part, None)
                for inner in statement.body:
                    if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        function(inner)
                    else:
                        visit(inner, None)
            else:
                visit(statement, None)

    def plain_class(self, name, seen=()):
        """Whether every class of the project named ``name`` is plain (see the module's
        docstring), its project bases too."""
        found = self.classes.get(name)
        if not found or name in seen:
            return False
        for plain, bases in found:
            if not plain:
                return False
            for base in bases:
                if base is None:
                    return False
                if base in self.classes:
                    if not self.plain_class(base, seen + (name,)):
                        return False
                elif base not in PLAIN_BASES:
                    return False
        return True


def python_files(project):
    """Every project-relative ``.py`` file under the project, but in hidden folders, caches and
    virtual environments (sorted)."""
    found = []
    for root, dirs, files in os.walk(project):
        dirs[:] = sorted(d for d in dirs if not (
            d.startswith(".") or d in SKIPPED_DIRS or d.endswith(".egg-info")
            or os.path.exists(os.path.join(root, d, "pyvenv.cfg"))))
        found.extend(os.path.relpath(os.path.join(root, name), project)
                     for name in sorted(files) if name.endswith(".py"))
    return found


def scan(project, read_source):
    """The Scan of every Python file of the project (``read_source(path)``: its text)."""
    result = Scan()
    for relpath in python_files(project):
        try:
            source = read_source(os.path.join(project, relpath))
        except (OSError, UnicodeDecodeError, SyntaxError):
            continue  # a file Python cannot read cannot run either
        result.read(relpath.replace(os.sep, "/"), source)
    for alias in list(result.escaped):  # ``from m import f as g``; ``register(g)``
        result.escaped.update(result.aliases.get(alias, ()))
    return result


def _test_items(nodeids):
    """{(file, function name): [its node ids]} (parameters and classes left out)."""
    items = {}
    for nodeid in nodeids:
        path, _, rest = nodeid.partition("::")
        name = rest.rsplit("::", 1)[-1].split("[", 1)[0]
        items.setdefault((path, name), []).append(nodeid)
    return items


def observing_tests(observed_by, scan_result, reached_by, outside, nodeids=()):
    """The tests that can observe a static gremlin with an ``observed_by`` (a set, maybe
    empty), or None when only the whole suite is safe."""
    if observed_by.get("kind") == "global":
        return _global_observers(observed_by, scan_result, reached_by, outside, nodeids)
    if scan_result.introspection or observed_by["function"] in scan_result.escaped:
        return None
    if not all(scan_result.plain_class(c) for c in observed_by["classes"]):
        return None
    probe = observed_by["probe"]
    if probe in outside:
        return None
    return set(reached_by.get(probe, ()))


def _global_observers(observed_by, scan_result, reached_by, outside, nodeids):
    """A module constant's observers: the tests that call a function of its module that reads
    it, the test functions that read it as an attribute (``module.NAME``), and every test
    that is not a Python test function of the project (a doctest, a plugin's item), whose
    code the scan cannot see."""
    if scan_result.dynamic or "*" in scan_result.imported:
        return None
    items = _test_items(nodeids)
    tests = set()
    for name in observed_by["names"]:
        if name in scan_result.strings or name in scan_result.imported:
            return None
        for where in scan_result.attributes.get(name, ()):
            if where is None or where not in items:
                return None  # read at module level, in a helper, a fixture, a nested function
            tests.update(items[where])
    for probe in observed_by["readers"]:
        if probe in outside:
            return None
        tests.update(reached_by.get(probe, ()))
    tests.update(n for key, ids in items.items() if key not in scan_result.functions
                 for n in ids)
    return tests
