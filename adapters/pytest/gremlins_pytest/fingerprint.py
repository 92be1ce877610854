"""Fingerprints: for each gremlin, a digest of everything its verdict depends on, so that a
later run can reuse a stored verdict when nothing of it changed (docs/results-store.md).

A gremlin's fingerprint covers:
- the mutation itself (id, file, operator, original and replacement text),
- the source of the innermost function it sits in, or of the module-level statement,
- the tests that cover it: their ids and the text of their test files, and of every
  conftest.py from the project's root down to each test file's folder,
- the operator set, pytest's arguments, the project's pytest configuration files and the
  adapter's version.
A test file is taken whole (a change anywhere in it re-tests the gremlins it covers): coarser
than the test function, never wrong.
"""

import ast
import hashlib
import json
import os

from . import __version__

CONFIG_FILES = ("pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "conftest.py")


def _digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(json.dumps(part, sort_keys=True).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _read(path):
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


class _Scopes:
    """The line ranges of a file's functions and module-level statements."""

    def __init__(self, source):
        self.lines = source.splitlines()
        try:
            tree = ast.parse(source)
        except SyntaxError:
            tree = None
        self.functions = []
        self.statements = []
        if tree is None:
            return
        for stmt in tree.body:
            self.statements.append((stmt.lineno, stmt.end_lineno))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                self.functions.append((start, node.end_lineno))

    def text_around(self, first, last):
        inside = [(a, b) for a, b in self.functions if a <= first and last <= b]
        if inside:
            a, b = min(inside, key=lambda r: r[1] - r[0])  # the innermost
        else:
            around = [(a, b) for a, b in self.statements if a <= first and last <= b]
            a, b = around[0] if around else (first, last)
        return "\n".join(self.lines[a - 1:b])


def _conftests(project, test_file):
    folder = os.path.dirname(os.path.join(project, test_file))
    chain = []
    while True:
        chain.append(os.path.join(folder, "conftest.py"))
        if os.path.abspath(folder) == os.path.abspath(project) or len(folder) <= len(project):
            break
        folder = os.path.dirname(folder)
    return sorted(chain)


def attach_fingerprints(gremlins, project, operators, pytest_args):
    """Sets gremlin["fingerprint"] on every manifest entry of `gremlins`."""
    # Where the project is does not matter (a moved checkout keeps its verdicts): its path is
    # left out of pytest's arguments and of every file named.
    args = [str(a).replace(str(project), "<project>") for a in pytest_args]
    common = _digest(__version__, sorted(operators), args,
                     [(name, _read(os.path.join(project, name))) for name in CONFIG_FILES])
    scopes, files = {}, {}

    def file_digest(rel):
        if rel not in files:
            files[rel] = _read(os.path.join(project, rel))
        return files[rel]

    for g in gremlins:
        rel = g.get("file", "")
        if rel not in scopes:
            try:
                with open(os.path.join(project, rel), encoding="utf-8", errors="surrogateescape") as handle:
                    scopes[rel] = _Scopes(handle.read())
            except OSError:
                scopes[rel] = _Scopes("")
        scope = scopes[rel].text_around(g.get("line", 1), g.get("end_line") or g.get("line", 1))
        tests = sorted(g.get("tests") or [])  # their order is by duration: not evidence
        test_files = sorted({t.split("::", 1)[0] for t in tests})
        evidence = [(f, file_digest(f), [(os.path.relpath(c, project), _read(c)) for c in _conftests(project, f)])
                    for f in test_files]
        mutation = [g["id"], rel, g.get("operator"), g.get("original"), g.get("replacement"), g.get("static")]
        g["fingerprint"] = _digest(common, mutation, scope, tests, evidence)[:40]
