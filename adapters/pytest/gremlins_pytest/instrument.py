"""Mutation switching for one Python source file.

Every mutation site becomes a conditional expression that asks the switch module which gremlin
is active::

    a < b   ->   ((a <= b) if _gremlins_switch.active == 'calc_py_g001'
                  else ((a > b) if _gremlins_switch.active == 'calc_py_g002' else (a < b)))

Only one branch ever runs, so every operand is evaluated exactly once, in its original order,
and ``and``/``or`` keep their short-circuit.  The mutated branches are built from pristine
copies of the operands (only one gremlin is active at a time, so nested sites need no switch
there); only the original branch carries the nested switches.  That keeps the code linear in
the nesting depth instead of exponential.  ``return x`` becomes ``return (None if ... else
(x))``; an augmented assignment ``t += b`` becomes ``t = (... else _gremlins_switch.iadd(t,
b))`` (``operator.iadd``: the same operation), with temporaries so that an attribute or
subscript target is still evaluated once, in the original order.

The instrumented text is the original text with only the mutated expressions rewritten, each on
its own lines: every line keeps its number, and every character outside the mutated
expressions (comments, docstrings, blank lines) stays as it was, so tracebacks, warnings,
``inspect.getsource`` and doctests see the project's line numbers.  The mutated branches are
written on the first line of their expression; a site inside an f-string rewrites that whole
f-string (``ast.unparse`` of its instrumented tree, padded with newlines inside parentheses to
its original line count).  The ``import _gremlins_switch`` goes where it shifts nothing: after
the docstring and ``__future__`` imports (``; import ...``), else in front of a first simple
statement, else on the blank or comment line before the first statement, else on the first
such line or in front of the first simple statement after it, else on a new last line.  Code
above it that runs at import time refers to the switch as ``__import__('_gremlins_switch')``;
functions use the name (bound by the import, or found in builtins, where the switch module
also puts itself, when called at import time from above the import).  A non-UTF-8 coding cookie is rewritten to utf-8 (the
instrumented file is written as UTF-8); a last line names the original file.

With no gremlin active every check is false and the original branch runs: same values, same
side effects, same exceptions.  While the baseline records coverage, ``active`` is an object
whose ``==`` notes the id it is compared with and answers False, so recording costs nothing
when it is off.
"""

import ast
import bisect
import copy
import io
import re
import tokenize

from . import operators as ops
from .switch import MODULE_NAME as SWITCH


class Site:
    """One gremlin: a single mutation at one place of one file."""

    __slots__ = ("operator", "description", "original", "replacement", "line", "column",
                 "end_line", "end_column", "static", "order", "marker", "id", "legacy",
                 "observed_by")

    def __init__(self, operator, description, original, replacement, span, static, order,
                 legacy=None):
        self.operator = operator
        # The family of the first release that made this site (ops.LEGACY), or None: such
        # sites are numbered _gNNN among themselves, as they always were.
        self.legacy = legacy
        self.description = description
        self.original = original
        self.replacement = replacement
        self.line, self.column, self.end_line, self.end_column = span
        self.static = static
        self.order = order
        self.marker = None  # the ast.Constant holding the id inside the switch check
        self.id = None
        self.observed_by = None  # an Observer or GlobalObserver: who can see a static site

    def sort_key(self):
        """Source order, then operator order (a legacy site: its family of the first
        release), then creation order: stable ids."""
        family = (ops.LEGACY.index(self.legacy) if self.legacy
                  else ops.OPERATORS.index(self.operator))
        return (self.line, self.column, self.end_line, self.end_column, family, self.order)

    def as_manifest(self, relpath):
        """This gremlin's entry of manifest.json's ``gremlins`` list, without ``tests``."""
        entry = {"id": self.id, "file": relpath, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column,
                "operator": self.operator, "description": self.description,
                "original": self.original, "replacement": self.replacement,
                "static": self.static}
        if self.observed_by is not None:
            entry["observed_by"] = self.observed_by.as_manifest()
        return entry


#: Decorators that neither look at a function's defaults nor stop its body from running
#: when it is called (by their last name: ``functools.lru_cache``, ``x.setter``).
CALL_ONLY_DECORATORS = {"staticmethod", "classmethod", "property", "setter", "getter",
                        "deleter", "abstractmethod", "cache", "lru_cache", "cached_property"}


class Observer:
    """How a static gremlin in a default argument can be observed: the default's value lives
    in the function object, and only a call (its body runs) or introspection of the function
    reads it.  The instrumented body starts with a probe, ``SWITCH.active == 'call:...'``
    (always false, no effect), so the baseline records which tests call the function;
    ``prepare`` runs only those tests for the gremlin when it can rule out introspection
    (observers.py).  Made only for a plain function (no decorator but those of
    CALL_ONLY_DECORATORS, not a dunder, not named like a test) whose defaults with sites are
    literals (evaluating them can neither fail nor have a side effect)."""

    __slots__ = ("function", "classes", "probe")

    def __init__(self, function, classes, probe):
        self.function = function
        self.classes = classes  # the enclosing classes, outermost first
        self.probe = probe  # the name the function's probe records

    def as_manifest(self):
        return {"kind": "call", "function": self.function, "classes": list(self.classes),
                "probe": self.probe}


class GlobalObserver:
    """How a static gremlin in a module-level constant (``NAME = <literal>``) can be
    observed: through the module's global ``NAME``, read by the module's functions (each gets
    a probe: the tests that call one can see it) or as an attribute ``module.NAME`` from
    elsewhere (observers.py finds those, or keeps the whole suite).  Made only when no code of
    the module outside a function body reads ``NAME`` (module level, class bodies, default
    arguments, decorators, lambdas), ``NAME`` is bound once at module level, every function
    reading it can carry a probe, and the value cannot fail to evaluate (_is_safe_constant)."""

    __slots__ = ("names", "readers")

    def __init__(self, names, readers):
        self.names = names
        self.readers = readers  # the probes of the functions that read them

    def as_manifest(self):
        return {"kind": "global", "names": list(self.names), "readers": list(self.readers)}


def _is_safe_constant(node):
    """A literal, or arithmetic on numbers that no single mutation can make fail: ``+`` and
    ``-`` (which the arithmetic operator swaps), ``*`` by a non-zero number (it may become
    ``/``), unary signs; no division, power or strings in arithmetic."""
    if _is_literal(node):
        return True
    return _is_number_arithmetic(node)


def _is_number_arithmetic(node):
    value = _number_value(node)
    if value is not None:
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_number_arithmetic(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        if not (_is_number_arithmetic(node.left) and _is_number_arithmetic(node.right)):
            return False
        if isinstance(node.op, ast.Mult):
            try:
                return eval(compile(ast.Expression(node.right), "<constant>", "eval"),
                            {"__builtins__": {}}) != 0
            except Exception:  # noqa: BLE001 -- not worth a guess
                return False
        return True
    return False


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _global_reads(tree):
    """({name: [the functions whose body reads it]}, {names read outside any function body:
    module level, class bodies, defaults, decorators, annotations, lambdas}, {name: times
    bound at module level})."""
    readers, elsewhere, bound = {}, set(), {}

    def walk(node, function):
        if isinstance(node, _FUNCTIONS):
            for part in node.decorator_list + [node.args, node.returns]:
                if part is not None:
                    walk(part, function)
            for statement in node.body:
                walk(statement, node)
            return
        if isinstance(node, ast.Lambda):
            walk(node.args, function)
            walk(node.body, None)  # a lambda's body cannot carry a probe
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                if function is None:
                    elsewhere.add(node.id)
                else:
                    readers.setdefault(node.id, [])
                    if function not in readers[node.id]:
                        readers[node.id].append(function)
            elif function is None:
                bound[node.id] = bound.get(node.id, 0) + 1
        for child in ast.iter_child_nodes(node):
            walk(child, function)

    for statement in tree.body:
        walk(statement, None)
    return readers, elsewhere, bound


def _is_literal(node):
    """A literal, a unary operator on one, or a tuple, list, set or dict of them."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_literal(node.operand)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_literal(k) for k in node.keys) and all(
            _is_literal(v) for v in node.values)
    return False


def last_name(node):
    """The last name of ``a.b.c``, ``f(...)``'s ``f`` or ``C[T]``'s ``C`` (decorators, base
    classes), or None."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


#: Compound statements whose header expression runs first when the body starts.
_HEADER = {ast.If: "test", ast.While: "test", ast.For: "iter", ast.AsyncFor: "iter"}


class Instrumented:
    """The result of instrumenting one file: new source text and its gremlins in id order."""

    def __init__(self, source, sites):
        self.source = source
        self.sites = sites


def id_prefix(relpath):
    """The id prefix of a file: its project-relative path as a token ("src/a.py" -> "src_a_py")."""
    return re.sub(r"[^A-Za-z0-9]", "_", relpath.replace("\\", "/")).strip("_") or "module"


class _Positions:
    """Maps AST offsets (UTF-8 bytes) to 1-based character columns, and finds operator tokens."""

    def __init__(self, source):
        self.source = source
        # Lines end at "\n" only, as for the tokenizer (str.splitlines also splits at form
        # feeds and other separators that Python does not count as line ends).
        self.lines = io.StringIO(source).readlines()
        self.line_starts = [0]
        for text in self.lines:
            self.line_starts.append(self.line_starts[-1] + len(text))
        self.tokens = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(source).readline):
                if tok.type in (tokenize.OP, tokenize.NAME):
                    self.tokens.append((tok.start, tok.end, tok.string))
        except (tokenize.TokenError, SyntaxError):
            pass
        self.starts = [t[0] for t in self.tokens]

    def char_col(self, line, byte_col):
        """0-based character column of a byte offset on a 1-based line."""
        if line - 1 >= len(self.lines):
            return byte_col
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def offset(self, line, col):
        """The character offset in the source of a 1-based line and 0-based character column."""
        if line - 1 >= len(self.lines):
            return len(self.source)
        return self.line_starts[line - 1] + col

    def offsets(self, node):
        """(start, end) character offsets of a node's text."""
        return self.offset(*self.start(node)), self.offset(*self.end(node))

    def token_offset(self, after, before, text):
        """The offset of the first token ``text`` between two (line, col) positions, or None."""
        span = self.token(after, before, text)
        return None if span is None else self.offset(span[0], span[1] - 1)

    def start(self, node):
        return (node.lineno, self.char_col(node.lineno, node.col_offset))

    def end(self, node):
        return (node.end_lineno, self.char_col(node.end_lineno, node.end_col_offset))

    def span(self, node):
        """(line, column, end_line, end_column), 1-based columns, end exclusive."""
        (l1, c1), (l2, c2) = self.start(node), self.end(node)
        return (l1, c1 + 1, l2, c2 + 1)

    def token(self, after, before, text):
        """The span of the first token ``text`` between two (line, col) positions, or None."""
        i = bisect.bisect_left(self.starts, after)
        while i < len(self.tokens) and self.tokens[i][0] < before:
            (l1, c1), (l2, c2), string = self.tokens[i]
            if string == text:
                return (l1, c1 + 1, l2, c2 + 1)
            i += 1
        return self._text_search(after, before, text)

    def _text_search(self, after, before, text):
        # Inside f-strings (one STRING token before Python 3.12) the operator is plain text.
        (l1, c1), (l2, c2) = after, before
        for line in range(l1, l2 + 1):
            if line - 1 >= len(self.lines):
                break
            row = self.lines[line - 1]
            lo = c1 if line == l1 else 0
            hi = c2 if line == l2 else len(row)
            idx = row.find(text, lo, hi)
            while idx >= 0:
                before_ch = row[idx - 1] if idx > 0 else " "
                after_ch = row[idx + len(text)] if idx + len(text) < len(row) else " "
                if before_ch not in "<>=!*/%+-" and after_ch not in "<>=*/":
                    return (line, idx + 1, line, idx + len(text) + 1)
                idx = row.find(text, idx + 1, hi)
        return None

    def segment(self, node):
        """The node's source text (as ast.get_source_segment, which splits the whole source
        at every call), or its unparsed text."""
        if getattr(node, "end_col_offset", None) is None:
            return ast.unparse(node)
        start, end = self.offsets(node)
        return self.source[start:end] or ast.unparse(node)


def _int_value(node):
    """The value of an int literal (also ``-5``), or None; bools are not ints here."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int):
        return -node.operand.value
    return None


def _number_value(node):
    """The value of an int or float literal (also ``-5``, ``-0.5``), or None; not bools."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) in (int, float)):
        return -node.operand.value
    return None


def _is_str(node):
    return isinstance(node, ast.Constant) and type(node.value) is str


#: Expressions whose text needs no parentheses as an operand of ``not`` or in place of a
#: unary expression.
_ATOMS = (ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Call, ast.List, ast.Tuple,
          ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
          ast.JoinedStr)


def _grouped(node, text):
    """``text`` (the source of ``node``) in parentheses unless it is an atom."""
    return text if isinstance(node, _ATOMS) and "\n" not in text else "(%s)" % text


def _short(text, limit=40):
    """Source text for a label: whitespace runs as one space, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _tails(body):
    """The statements after which a loop body ends: its last statement, and the last of each
    branch of an ``if`` or the body of a ``with`` that is itself such a statement."""
    if not body:
        return
    last = body[-1]
    yield last
    if isinstance(last, ast.If):
        yield from _tails(last.body)
        yield from _tails(last.orelse)
    elif isinstance(last, (ast.With, ast.AsyncWith)):
        yield from _tails(last.body)


def _bool_chain(op, values):
    return values[0] if len(values) == 1 else ast.BoolOp(op=op, values=values)


def _swap_bool_operator(node, k):
    """``v0 op v1 op ... vn`` with only the k-th operator swapped, grouped the way Python
    parses the edited text (``and`` binds tighter than ``or``)."""
    values = copy.deepcopy(node.values)
    if isinstance(node.op, ast.And):
        return ast.BoolOp(op=ast.Or(), values=[_bool_chain(ast.And(), values[:k + 1]),
                                                _bool_chain(ast.And(), values[k + 1:])])
    merged = ast.BoolOp(op=ast.And(), values=[values[k], values[k + 1]])
    return _bool_chain(ast.Or(), values[:k] + [merged] + values[k + 2:])


class _Region:
    """A part of the source text that the instrumented text rewrites: ``wrap`` (an expression
    with its mutants), ``aug`` (an augmented assignment), ``fstring`` (an f-string written
    again from its instrumented tree) or ``insert`` (text at one offset: the switch import)."""

    __slots__ = ("start", "end", "kind", "data", "order", "ref", "children")

    def __init__(self, start, end, kind, data, order, ref=SWITCH):
        self.start, self.end, self.kind, self.data, self.order = start, end, kind, data, order
        self.ref = ref  # how the switch module is named there
        self.children = []

    def sort_key(self):
        # Outer before inner: a region that starts earlier, ends later, or (same span) was made
        # later (a site's switch is made after the switches nested in it).  An insert "before"
        # comes first at its offset.
        before = self.kind == "insert" and self.data[1]
        return (self.start, 0 if before else 1, -self.end, -self.order)

    def contains(self, other):
        if self.kind == "root":
            return True
        if other.start == other.end:  # an insert is inside only strictly
            return self.start < other.start < self.end
        return self.start <= other.start and other.end <= self.end


class _Transformer(ast.NodeTransformer):
    """Replaces every mutation site by its switch in the tree (kept for f-strings, which are
    written again from it) and records the text regions to rewrite; collects the Sites in
    creation order."""

    def __init__(self, positions, operators, import_offset, prefix="module"):
        self.pos = positions
        self.prefix = prefix  # the file's id prefix: probes are named after it
        self.operators = set(operators)
        self.import_offset = import_offset  # static sites before it use __import__(SWITCH)
        self.sites = []
        self.regions = []
        self.static = True  # module level runs at import time
        self.skip_constants = set()
        self.fstring_depth = 0
        self.fstring_start = 0
        self.skip_numbers = set()   # ids of number nodes the boundary operator mutates
        self.defaults = set()       # ids of argument defaults: the default operator's
        self.no_strings = set()     # ids of strings never mutated (__all__ and other dunders)
        self.loop_tails = set()     # ids of break/continue whose fall-through is the next turn
        self.classes = []           # the classes whose body is being visited (at import time)
        self.probes = {}            # id(function): (its probe's name, where the probe goes)
        self.constants = {}         # id(module-level statement): its GlobalObserver

    def plan_constants(self, tree):
        """Before the visit: the module-level constants whose readers are all functions that
        can carry a probe (GlobalObserver), and those functions' probes."""
        readers, elsewhere, bound = _global_reads(tree)
        for statement in tree.body:
            if isinstance(statement, ast.Assign):
                targets, value = statement.targets, statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                targets, value = [statement.target], statement.value
            else:
                continue
            if not all(isinstance(n, ast.Name) for n in targets) or not _is_safe_constant(value):
                continue
            names = [n.id for n in targets]
            if any(n in elsewhere or bound.get(n, 0) != 1
                   or (n.startswith("__") and n.endswith("__")) for n in names):
                continue
            functions = [f for n in names for f in readers.get(n, ())]
            if not all(self._probe_for(f) for f in functions):
                continue
            self.constants[id(statement)] = GlobalObserver(
                tuple(names), tuple(sorted({self.probes[id(f)][0] for f in functions})))

    def place_probes(self):
        """After the visit: the probes that some site's observer needs, each once."""
        points = {probe[0]: probe[1] for probe in self.probes.values() if probe}
        needed = set()
        for site in self.sites:
            if isinstance(site.observed_by, Observer):
                needed.add(site.observed_by.probe)
            elif isinstance(site.observed_by, GlobalObserver):
                needed.update(site.observed_by.readers)
        for name in sorted(needed):
            for offset, text, before in points[name]:
                self._region(offset, offset, "insert", (text.replace("%r", repr(name)), before))

    def _probe_for(self, node):
        """The function's probe (name, points), made once; None when it cannot carry one."""
        if id(node) not in self.probes:
            points = self._probe_points(node)
            name = "call:%s:%d:%d" % (self.prefix, node.lineno, node.col_offset)
            self.probes[id(node)] = (name, points) if points else None
        return self.probes[id(node)]

    # -- helpers -------------------------------------------------------------------------

    def _site(self, operator, description, original, replacement, span, legacy=None):
        legacy = legacy or (operator if operator in ops.LEGACY else None)
        site = Site(operator, description, original, replacement, span, self.static,
                    len(self.sites), legacy)
        self.sites.append(site)
        return site

    def _new(self, operator):
        """Whether a site of the newer family ``operator`` may be made here: selected, and not
        inside an f-string (where positions are not to be trusted before Python 3.12)."""
        return operator in self.operators and not self.fstring_depth

    def _region(self, start, end, kind, data):
        self.regions.append(_Region(start, end, kind, data, len(self.regions),
                                    self._ref_text(start)))

    def _ref_text(self, offset):
        """The switch module as an expression at ``offset``: its name, bound by the import
        (or, in a function called before the import ran, found in builtins, where the switch
        module puts itself); ``__import__(...)`` for code that runs at import time before
        the import."""
        if offset >= self.import_offset or not self.static:
            return SWITCH
        return "__import__(%r)" % SWITCH

    def _switch_ref(self, offset):
        if self._ref_text(offset) == SWITCH:
            return ast.Name(id=SWITCH, ctx=ast.Load())
        return ast.Call(func=ast.Name(id="__import__", ctx=ast.Load()),
                        args=[ast.Constant(value=SWITCH)], keywords=[])

    def _check(self, site, offset):
        marker = ast.Constant(value=None)
        site.marker = marker
        return ast.Compare(
            left=ast.Attribute(value=self._switch_ref(offset), attr="active", ctx=ast.Load()),
            ops=[ast.Eq()], comparators=[marker])

    def _switch(self, instrumented, mutants):
        """``(m1 if check1 else (m2 if check2 else instrumented))`` for [(site, m), ...]."""
        if not mutants:
            return instrumented
        if self.fstring_depth:
            start = self.fstring_start  # positions inside f-strings are not to be trusted
        else:
            start, end = self.pos.offsets(instrumented)
            self._region(start, end, "wrap", mutants)
        expr = instrumented
        for site, mutant in reversed(mutants):
            expr = ast.IfExp(test=self._check(site, start), body=mutant, orelse=expr)
        return ast.copy_location(expr, instrumented)

    def _visit_in(self, node, static):
        saved, self.static = self.static, static
        try:
            return self.visit(node)
        finally:
            self.static = saved

    def _visit_list(self, nodes, static=None):
        static = self.static if static is None else static
        out = []
        for n in nodes:
            if n is None:
                out.append(None)
                continue
            r = self._visit_in(n, static)
            if r is None:
                continue
            out.extend(r if isinstance(r, list) else [r])
        return out

    # -- scopes: what runs at import time ------------------------------------------------

    def _visit_arguments(self, args):
        """Visits the defaults; returns [(whether the default is a literal, its sites)]."""
        # Annotations are left alone; defaults run where the def statement runs.  A number or
        # string default is the default operator's (never the number or string operator's).
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            if _number_value(default) is not None or _is_str(default):
                self.defaults.add(id(default))
        groups = []

        def visit(nodes):
            out = []
            for node in nodes:
                if node is None:
                    out.append(None)
                    continue
                literal, before = _is_literal(node), len(self.sites)
                out.append(self._visit_in(node, self.static))
                groups.append((literal, self.sites[before:]))
            return out

        args.defaults = visit(args.defaults)
        args.kw_defaults = visit(args.kw_defaults)
        return groups

    def visit_FunctionDef(self, node):
        calls_only = (all(not isinstance(d, ast.Subscript)
                              and last_name(d) in CALL_ONLY_DECORATORS
                              for d in node.decorator_list)
                      and not (node.name.startswith("__") and node.name.endswith("__"))
                      and not node.name.startswith("test"))
        node.decorator_list = self._visit_list(node.decorator_list)
        groups = self._visit_arguments(node.args)
        sites = [site for _, group in groups for site in group]
        if (self.static and calls_only and sites and self._probe_for(node)
                and all(literal for literal, group in groups if group)):
            observer = Observer(node.name, tuple(self.classes), self.probes[id(node)][0])
            for site in sites:
                site.observed_by = observer
        node.body = self._visit_list(node.body, static=False)
        return node

    def _probe_points(self, node):
        """Where the probe goes in a function's body: [(offset, text with %r for the probe's
        name, whether it goes before a region starting there)], or None.  In front of the
        first statement after the docstring when it is a simple one; around the header
        expression of a first ``if``, ``while``, ``for``, ``with`` or ``match`` (``(probe or
        (...))``, the same value); in a first ``try``, in front of its first statement."""
        body = node.body
        if body and isinstance(body[0], ast.Expr) and _is_str(body[0].value):
            body = body[1:]  # the docstring stays the first statement
        while body and isinstance(body[0], (ast.Try, getattr(ast, "TryStar", ast.Try))):
            body = body[0].body
        if not body:
            return None
        first = body[0]
        check = SWITCH + ".active == %r"
        header = getattr(first, _HEADER.get(type(first), ""), None)
        if header is None and isinstance(first, (ast.With, ast.AsyncWith)):
            header = first.items[0].context_expr
        if header is None and type(first).__name__ == "Match":
            header = first.subject
        if header is not None:
            start, end = self.pos.offsets(header)
            return [(start, "(" + check + " or (", True), (end, "))", False)]
        if isinstance(first, (ast.Global, ast.Nonlocal)) or hasattr(first, "body"):
            return None  # a declaration must come first; a def or class has no header here
        start = self.pos.offset(*self.pos.start(first))
        return [(start, check + "; ", True)]

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._visit_arguments(node.args)
        node.body = self._visit_in(node.body, False)
        return node

    def visit_ClassDef(self, node):
        node.decorator_list = self._visit_list(node.decorator_list)
        node.bases = self._visit_list(node.bases)
        for kw in node.keywords:
            kw.value = self.visit(kw.value)
        self.classes.append(node.name)
        try:
            node.body = self._visit_list(node.body)
        finally:
            self.classes.pop()
        return node

    def _observed_constant(self, node, visit):
        """Visit a module-level assignment; its sites get its GlobalObserver, if it has one."""
        before = len(self.sites)
        visit()
        observer = self.constants.get(id(node)) if self.static else None
        if observer is not None:
            for site in self.sites[before:]:
                site.observed_by = observer
        return node

    def visit_AnnAssign(self, node):
        def visit():
            node.target = self.visit(node.target)
            if node.value is not None:
                node.value = self.visit(node.value)
        return self._observed_constant(node, visit)

    def _loop(self, node):
        for statement in _tails(node.body):
            if isinstance(statement, (ast.Break, ast.Continue)):
                self.loop_tails.add(id(statement))

    def visit_For(self, node):
        self._loop(node)
        self.generic_visit(node)
        return node

    visit_AsyncFor = visit_For

    def visit_While(self, node):
        self._loop(node)
        pristine = copy.deepcopy(node.test)
        node.test = self.visit(node.test)
        node.body = self._visit_list(node.body)
        node.orelse = self._visit_list(node.orelse)
        node.test = self._negate(node.test, pristine, "while")
        return node

    def visit_If(self, node):
        pristine = copy.deepcopy(node.test)
        node.test = self.visit(node.test)
        node.body = self._visit_list(node.body)
        node.orelse = self._visit_list(node.orelse)
        start = self.pos.offset(*self.pos.start(node))
        keyword = "elif" if self.pos.source.startswith("elif", start) else "if"
        node.test = self._negate(node.test, pristine, keyword)
        return node

    def visit_IfExp(self, node):
        pristine = copy.deepcopy(node.test)
        self.generic_visit(node)
        node.test = self._negate(node.test, pristine, "else")
        return node

    def _negate(self, test, pristine, keyword):
        """The condition operator: ``if c`` -> ``if not c`` (also elif, while, ternary)."""
        if not self._new("condition") or isinstance(pristine, ast.Constant):
            return test
        if isinstance(pristine, ast.UnaryOp) and isinstance(pristine.op, ast.Not):
            return test  # not not c: the unary operator's mutant c
        if isinstance(pristine, ast.Compare) and len(pristine.ops) == 1:
            owner = {ast.Eq: "comparison", ast.NotEq: "comparison", ast.Is: "identity",
                     ast.IsNot: "identity", ast.In: "membership", ast.NotIn: "membership"}
            if owner.get(type(pristine.ops[0])) in self.operators:
                return test  # not (a == b) is a != b: that operator's mutant already
        text = self.pos.segment(pristine)
        replacement = "not " + _grouped(pristine, text)
        if keyword == "else":
            description = "... if %s else ... to ... if %s else ..." % (
                _short(text), _short(replacement))
        else:
            description = "%s %s to %s %s" % (keyword, _short(text), keyword,
                                              _short(replacement))
        site = self._site("condition", description, text, replacement, self.pos.span(pristine))
        return self._switch(test, [(site, ast.UnaryOp(op=ast.Not(), operand=pristine))])

    def _loop_control(self, node, keyword, other):
        if not self._new("loop_control") or id(node) not in self.loop_tails:
            return node
        line, col = self.pos.start(node)
        end_line, end_col = self.pos.end(node)
        row = self.pos.lines[line - 1]
        rest = row[end_col:].strip()
        if line != end_line or row[:col].strip() or (rest and not rest.startswith("#")):
            return node  # the one-line if below needs the statement alone on its line
        site = self._site("loop_control", "%s to %s" % (keyword, other), keyword, other,
                          self.pos.span(node))
        start, end = self.pos.offsets(node)
        check = self._check(site, start)
        self._region(start, end, "loop", (site, keyword))
        return ast.copy_location(ast.If(test=check, body=[ast.Pass()], orelse=[node]), node)

    def visit_Break(self, node):
        return self._loop_control(node, "break", "continue")

    def visit_Continue(self, node):
        return self._loop_control(node, "continue", "break")

    def visit_Expr(self, node):
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return node  # a docstring, or a string statement: never mutated
        if not (isinstance(value, ast.Call) and self._new("call")):
            self.generic_visit(node)
            return node
        pristine = copy.deepcopy(value)
        node.value = self.visit(value)
        text = self.pos.segment(pristine)
        site = self._site("call", "%s to None" % _short(text), text, "None",
                          self.pos.span(pristine))
        node.value = self._switch(node.value, [(site, ast.Constant(value=None))])
        return node

    def visit_Assign(self, node):
        if any(isinstance(t, ast.Name) and t.id.startswith("__") and t.id.endswith("__")
               for t in node.targets):
            self.no_strings.update(id(n) for n in ast.walk(node.value))
        return self._observed_constant(node, lambda: self.generic_visit(node))

    def visit_match_case(self, node):
        # Patterns are not expressions: a switch cannot stand there.
        if node.guard is not None:
            node.guard = self.visit(node.guard)
        node.body = self._visit_list(node.body)
        return node

    def visit_JoinedStr(self, node):
        # Inside an f-string the positions of sub-expressions are not reliable before Python
        # 3.12, and a switch's quotes may clash with the f-string's: an f-string holding a site
        # is written again as a whole, from its instrumented tree.
        before = len(self.sites)
        if not self.fstring_depth:
            self.fstring_start = self.pos.offsets(node)[0]
        self.fstring_depth += 1
        try:
            self.generic_visit(node)
        finally:
            self.fstring_depth -= 1
        if len(self.sites) > before and not self.fstring_depth:
            start, end = self.pos.offsets(node)
            self._region(start, end, "fstring", node)
        return node

    # -- sites ---------------------------------------------------------------------------

    def visit_Compare(self, node):
        pristine = copy.deepcopy(node)
        operands = [pristine.left] + pristine.comparators
        if "boundary" in self.operators and any(type(op) in ops.COMPARISON for op in node.ops):
            for operand in [node.left] + node.comparators:  # boundary's already: +1 and -1
                if _int_value(operand) is not None:
                    self.skip_numbers.add(id(operand))
        self.generic_visit(node)
        mutants = []
        if "comparison" in self.operators:
            for i, op in enumerate(pristine.ops):
                symbol = ops.SYMBOL.get(type(op))
                span = symbol and self.pos.token(self.pos.end(operands[i]),
                                                 self.pos.start(operands[i + 1]), symbol)
                for new in ops.COMPARISON.get(type(op), ()):
                    if span is None:
                        break
                    mutant = copy.deepcopy(pristine)
                    mutant.ops[i] = new()
                    site = self._site("comparison", "%s to %s" % (symbol, ops.SYMBOL[new]),
                                      symbol, ops.SYMBOL[new], span)
                    mutants.append((site, mutant))
        if "boundary" in self.operators and any(
                type(op) in ops.COMPARISON for op in pristine.ops):
            for j, operand in enumerate(operands):
                value = _int_value(operand)
                if value is None:
                    continue
                for new_value in (value + 1, value - 1):
                    mutant = copy.deepcopy(pristine)
                    constant = ast.Constant(value=new_value)
                    if j == 0:
                        mutant.left = constant
                    else:
                        mutant.comparators[j - 1] = constant
                    site = self._site("boundary", "boundary %d to %d" % (value, new_value),
                                      self.pos.segment(operand), str(new_value),
                                      self.pos.span(operand))
                    mutants.append((site, mutant))
        for family, table in (("identity", ops.IDENTITY), ("membership", ops.MEMBERSHIP)):
            if not self._new(family):
                continue
            for i, op in enumerate(pristine.ops):
                new = table.get(type(op))
                span = new and self._word_span(operands[i], operands[i + 1], ops.SYMBOL[type(op)])
                if span is None:
                    continue
                mutant = copy.deepcopy(pristine)
                mutant.ops[i] = new()
                original = self.pos.source[self.pos.offset(span[0], span[1] - 1):
                                           self.pos.offset(span[2], span[3] - 1)]
                site = self._site(family, "%s to %s" % (ops.SYMBOL[type(op)], ops.SYMBOL[new]),
                                  original, ops.SYMBOL[new], span)
                mutants.append((site, mutant))
        return self._switch(node, mutants)

    def _word_span(self, left, right, symbol):
        """The span of ``is``, ``in``, ``is not`` or ``not in`` between two operands."""
        words = symbol.split()
        first = self.pos.token(self.pos.end(left), self.pos.start(right), words[0])
        if first is None or len(words) == 1:
            return first
        second = self.pos.token((first[2], first[3] - 1), self.pos.start(right), words[1])
        return None if second is None else (first[0], first[1], second[2], second[3])

    def visit_BinOp(self, node):
        pristine = copy.deepcopy(node)
        self.generic_visit(node)
        if "arithmetic" not in self.operators or type(node.op) not in ops.ARITHMETIC:
            return node
        if (isinstance(node.op, ast.Mod) and isinstance(pristine.left, (ast.Constant, ast.JoinedStr))
                and isinstance(getattr(pristine.left, "value", ""), str)):
            return node  # "%s" % x is string formatting, not arithmetic
        symbol = ops.SYMBOL[type(node.op)]
        span = self.pos.token(self.pos.end(pristine.left), self.pos.start(pristine.right), symbol)
        if span is None:
            return node
        mutants = []
        for new in ops.ARITHMETIC[type(node.op)]:
            mutant = copy.deepcopy(pristine)
            mutant.op = new()
            site = self._site("arithmetic", "%s to %s" % (symbol, ops.SYMBOL[new]),
                              symbol, ops.SYMBOL[new], span)
            mutants.append((site, mutant))
        return self._switch(node, mutants)

    def visit_AugAssign(self, node):
        pristine = copy.deepcopy(node)
        if isinstance(node.target, ast.Name) and node.target.id.startswith("__"):
            self.no_strings.update(id(n) for n in ast.walk(node.value))
        self.generic_visit(node)
        arithmetic = "arithmetic" in self.operators and type(node.op) in ops.ARITHMETIC
        plain = self._new("aug_assign") and type(node.op) in ops.INPLACE
        if not (arithmetic or plain):
            return node
        symbol = ops.SYMBOL[type(node.op)] + "="
        span = self.pos.token(self.pos.end(pristine.target), self.pos.start(pristine.value),
                              symbol)
        if span is None:
            return node
        start, end = self.pos.offsets(node)
        target = pristine.target
        marks = {"op": (self.pos.offset(span[0], span[1] - 1),
                        self.pos.offset(span[2], span[3] - 1)),
                 "target": self.pos.offsets(target)}
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            bracket = "." if isinstance(target, ast.Attribute) else "["
            marks["cut"] = self.pos.token_offset(self.pos.end(target.value), self.pos.end(target),
                                                 bracket)
            if marks["cut"] is None:
                return node
        elif not isinstance(target, ast.Name):
            return node
        statement = node
        mutants = []
        for new in reversed(ops.ARITHMETIC[type(node.op)] if arithmetic else ()):
            mutant = copy.deepcopy(pristine)
            mutant.op = new()
            new_symbol = ops.SYMBOL[new] + "="
            site = self._site("arithmetic", "%s to %s" % (symbol, new_symbol), symbol,
                              new_symbol, span)
            mutants.insert(0, (site, new))
            statement = ast.copy_location(
                ast.If(test=self._check(site, start), body=[mutant], orelse=[statement]), node)
        if plain:  # x += y -> x = y; None stands for the plain assignment
            target = copy.deepcopy(pristine.target)
            target.ctx = ast.Store()
            mutant = ast.Assign(targets=[target], value=copy.deepcopy(pristine.value))
            site = self._site("aug_assign", "%s to =" % symbol, symbol, "=", span)
            mutants.append((site, None))
            statement = ast.copy_location(
                ast.If(test=self._check(site, start), body=[mutant], orelse=[statement]), node)
        self._region(start, end, "aug", (pristine, marks, mutants))
        return statement

    def visit_BoolOp(self, node):
        pristine = copy.deepcopy(node)
        self.generic_visit(node)
        if "boolean" not in self.operators:
            return node
        symbol = ops.SYMBOL[type(node.op)]
        new = ops.BOOLEAN_OPS[type(node.op)]
        values = pristine.values
        mutants = []
        for k in range(len(values) - 1):
            span = self.pos.token(self.pos.end(values[k]), self.pos.start(values[k + 1]), symbol)
            if span is None:
                continue
            site = self._site("boolean", "%s to %s" % (symbol, ops.SYMBOL[new]), symbol,
                              ops.SYMBOL[new], span)
            mutants.append((site, _swap_bool_operator(pristine, k)))
        return self._switch(node, mutants)

    def visit_UnaryOp(self, node):
        if _number_value(node) is not None:  # -5, -0.5: a number literal
            return self._number(node)
        pristine = copy.deepcopy(node)
        self.generic_visit(node)
        if "unary" not in self.operators or type(node.op) not in ops.UNARY:
            return node
        is_not = isinstance(node.op, ast.Not)  # a boolean site of the first release
        if not is_not and self.fstring_depth:
            return node
        text = self.pos.segment(pristine)
        operand = _grouped(pristine.operand, self.pos.segment(pristine.operand))
        site = self._site("unary", "%s to %s" % (_short(text), _short(operand)), text, operand,
                          self.pos.span(pristine), legacy="boolean" if is_not else None)
        return self._switch(node, [(site, pristine.operand)])

    def visit_Constant(self, node):
        if _number_value(node) is not None:
            return self._number(node)
        if _is_str(node):
            return self._string(node)
        if ("bool_literal" not in self.operators or type(node.value) is not bool
                or id(node) in self.skip_constants):
            return node
        new = not node.value
        site = self._site("bool_literal", "%s to %s" % (node.value, new), str(node.value),
                          str(new), self.pos.span(node), legacy="boolean")
        return self._switch(node, [(site, ast.Constant(value=new))])

    def _number(self, node):
        """number (or default, for an argument's default): n -> n + 1."""
        family = "default" if id(node) in self.defaults else "number"
        if id(node) in self.skip_numbers or not self._new(family):
            return node
        value = _number_value(node)
        new = value + 1
        if new == value:  # 1e300 + 1: a float too large to change
            return node
        text = self.pos.segment(node)
        label = "%s to %r" % (_short(text), new)
        site = self._site(family, ("default " + label) if family == "default" else label,
                          text, repr(new), self.pos.span(node))
        return self._switch(node, [(site, ast.Constant(value=new))])

    def _string(self, node):
        """string (or default, for an argument's default): "abc" -> "XXabcXX"."""
        family = "default" if id(node) in self.defaults else "string"
        if id(node) in self.no_strings or not self._new(family):
            return node
        new = "XX%sXX" % node.value
        text = self.pos.segment(node)
        label = "%s to %s" % (_short(text), _short(repr(new)))
        site = self._site(family, ("default " + label) if family == "default" else label,
                          text, repr(new), self.pos.span(node))
        return self._switch(node, [(site, ast.Constant(value=new))])

    def visit_Return(self, node):
        value = node.value
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return node
        is_bool = isinstance(value, ast.Constant) and type(value.value) is bool
        if "return" in self.operators and is_bool:
            self.skip_constants.add(id(value))  # the return operator swaps it already
        pristine = copy.deepcopy(value)
        node.value = self.visit(value)
        if "return" not in self.operators:
            return node
        if is_bool:
            new = ast.Constant(value=not value.value)
            site = self._site("return", "return %s to return %s" % (value.value, new.value),
                              str(value.value), str(new.value), self.pos.span(pristine))
        else:
            new = ast.Constant(value=None)
            text = self.pos.segment(pristine)
            site = self._site("return", "return %s to return None" % _short(text), text,
                              "None", self.pos.span(pristine))
        node.value = self._switch(node.value, [(site, new)])
        return node


# -- where the switch import goes ------------------------------------------------------------

_IMPORT = "import %s" % SWITCH
_SIMPLE_STATEMENTS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Import,
                      ast.ImportFrom, ast.Pass, ast.Delete, ast.Global, ast.Nonlocal,
                      ast.Raise, ast.Assert) + ((ast.TypeAlias,) if hasattr(ast, "TypeAlias")
                                                else ())


def _insertion_index(body):
    """After the module docstring and the ``from __future__`` imports."""
    i = 0
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        i = 1
    while (i < len(body) and isinstance(body[i], ast.ImportFrom)
           and body[i].module == "__future__"):
        i += 1
    return i


def _first_line(statement):
    """The first line of a statement, its decorators included."""
    return min([statement.lineno] + [d.lineno for d in getattr(statement, "decorator_list", ())])


def _free_line(pos, first, last):
    """The first line in first..last (1-based, inclusive) that holds no code (blank or a
    comment: the lines between top-level statements), as an insert there; or None."""
    for line in range(first, min(last, len(pos.lines)) + 1):
        text = pos.lines[line - 1]
        if text.strip() and not text.lstrip().startswith("#"):
            continue
        filler = "  " if text.strip() else ""
        return pos.offset(line, 0), _IMPORT + filler, True
    return None


def _import_point(tree, pos):
    """(offset, text, before) of the switch import, placed where it shifts no line; or None
    when there is no such place (the import then goes on a new last line)."""
    body = tree.body
    k = _insertion_index(body)
    if k:
        return pos.offsets(body[k - 1])[1], "; " + _IMPORT, False
    if not body:
        return None
    first = body[0]
    if isinstance(first, _SIMPLE_STATEMENTS):
        return pos.offsets(first)[0], _IMPORT + "; ", True
    line = _first_line(first) - 1
    if line > 2 or (line > 0 and not _COOKIE.match(pos.lines[line - 1])
                    and not pos.lines[line - 1].startswith("#!")):
        point = _free_line(pos, line, line)  # not on a shebang or coding line
        if point is not None:
            return point
    for i, statement in enumerate(body):
        if i and isinstance(statement, _SIMPLE_STATEMENTS):
            return pos.offsets(statement)[0], _IMPORT + "; ", True
        last = _first_line(body[i + 1]) - 1 if i + 1 < len(body) else len(pos.lines)
        point = _free_line(pos, statement.end_lineno + 1, last)
        if point is not None:
            return point
    return None


# -- writing the instrumented text ------------------------------------------------------------

_TEMPS = ("_gremlins_t0", "_gremlins_t1")


def _one_line(node):
    text = ast.unparse(node)
    if "\n" in text:  # never seen: ast.unparse escapes newlines in strings
        raise ValueError("a mutant spans lines: %r" % text)
    return text


class _Writer:
    """Writes the instrumented text: the source with every region rewritten."""

    def __init__(self, source, regions):
        self.source = source
        self.root = _Region(0, len(source), "root", None, -1)
        stack = [self.root]
        for region in sorted(regions, key=_Region.sort_key):
            while not stack[-1].contains(region):
                stack.pop()
            top = stack[-1]
            if top.children and top.children[-1].end > region.start:
                raise ValueError("overlapping mutation sites at offset %d" % region.start)
            top.children.append(region)
            if region.end > region.start:
                stack.append(region)

    @staticmethod
    def check(site, region):
        return "%s.active == %r" % (region.ref, site.id)

    def text(self):
        return self._range(self.root.children, 0, len(self.source))

    def _range(self, children, lo, hi):
        out, pos = [], lo
        for child in children:
            out.append(self.source[pos:child.start])
            out.append(self._region(child))
            pos = child.end
        out.append(self.source[pos:hi])
        return "".join(out)

    def _pieces(self, region, pieces):
        """Literal strings and (lo, hi) ranges of the source; every child of the region must
        fall inside one range."""
        out, placed = [], 0
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            lo, hi = piece
            inside = [c for c in region.children if lo <= c.start and c.end <= hi]
            placed += len(inside)
            out.append(self._range(inside, lo, hi))
        if placed != len(region.children):
            raise ValueError("a mutation site straddles the parts of a rewritten statement")
        return "".join(out)

    def _region(self, region):
        kind = region.kind
        if kind == "insert":
            return region.data[0]
        if kind == "fstring":
            text = ast.unparse(region.data)
            lines = self.source.count("\n", region.start, region.end)
            return "(%s%s)" % (text, "\n" * lines) if lines else text
        if kind == "loop":  # at a loop body's end, falling through is continue
            site, keyword = region.data
            test = "!=" if keyword == "break" else "=="
            return "if %s.active %s %r: break" % (region.ref, test, site.id)
        if kind == "wrap":
            prefix = "".join("((%s) if %s else " % (_one_line(mutant), self.check(site, region))
                             for site, mutant in region.data)
            return self._pieces(region, [prefix + "(", (region.start, region.end),
                                         ")" * (len(region.data) + 1)])
        return self._augmented(region)

    def _augmented(self, region):
        """``t += b``: ``t = (... else SWITCH.iadd(t, b))``; an attribute or subscript target
        goes through temporaries (``_gremlins_t0 = o; _gremlins_t0.x = (...); del ...``) so
        that it is evaluated once, in the order an augmented assignment evaluates it."""
        statement, marks, mutants = region.data
        target, ref = statement.target, region.ref
        op_start, op_end = marks["op"]
        target_start, target_end = marks["target"]

        def newlines(lo, hi):  # dropped text keeps its line breaks, inside parentheses
            return "\n" * self.source.count("\n", lo, hi)

        glue = "= (" if self.source[op_start - 1:op_start].isspace() else " = ("
        if isinstance(target, ast.Name):
            load = target.id
            head = [(region.start, op_start), glue]
            tail = ""
        elif isinstance(target, ast.Attribute):
            load = "%s.%s" % (_TEMPS[0], target.attr)
            head = ["%s = (" % _TEMPS[0], newlines(region.start, target_start),
                    (target_start, marks["cut"]), "); %s = (" % load,
                    newlines(marks["cut"], op_start)]
            tail = "; del %s" % _TEMPS[0]
        else:
            load = "%s[%s]" % _TEMPS
            head = ["%s = (" % _TEMPS[0], newlines(region.start, target_start),
                    (target_start, marks["cut"]), "); %s = %s.KEY" % (_TEMPS[1], ref),
                    (marks["cut"], target_end), "; %s = (" % load,
                    newlines(target_end, op_start)]
            tail = "; del %s, %s" % _TEMPS
        value = _one_line(statement.value)
        chain = "".join(("(%s.%s(%s, (%s))) if %s else (" % (
            ref, ops.INPLACE[new], load, value, self.check(site, region))) if new is not None
            else "(%s) if %s else (" % (value, self.check(site, region))
            for site, new in mutants)
        original = "%s.%s(%s," % (ref, ops.INPLACE[type(statement.op)], load)
        original += "" if self.source[op_end:op_end + 1].isspace() else " "
        pieces = head + [chain + original, (op_end, region.end),
                         ")" + ")" * len(mutants) + ")" + tail]
        return self._pieces(region, pieces)


_COOKIE = re.compile(r"^([ \t\f]*#.*?coding[:=][ \t]*)([-\w.]+)")


def _utf8_cookie(source):
    """The source with a coding cookie other than UTF-8 (line 1 or 2) made ``utf-8``: the
    instrumented file is written as UTF-8.  Only the comment changes."""
    lines = source.split("\n", 2)
    for n in range(min(2, len(lines))):
        match = _COOKIE.match(lines[n])
        if match:
            if match.group(2).lower().replace("_", "-") not in ("utf-8", "utf8"):
                lines[n] = match.group(1) + "utf-8" + lines[n][match.end(2):]
            return "\n".join(lines)
        if lines[n].strip() and not lines[n].lstrip().startswith("#"):
            break
    return source


def _statement_lines(tree):
    return {n.lineno for n in ast.walk(tree) if isinstance(n, ast.stmt)}


def _number(sites, prefix):
    """Gives every site its id: the sites of the first release's families ``<prefix>_gNNN``
    in source order among themselves (the ids they always had), every newer family's sites
    ``<prefix>_<tag>NNN`` in source order among that family's (ops.ID_TAG): a new family, or
    a new site of one, never renumbers the others."""
    groups = {}
    for site in sites:
        tag = "g" if site.legacy else ops.ID_TAG[site.operator]
        groups.setdefault(tag, []).append(site)
    for tag, group in groups.items():
        group.sort(key=Site.sort_key)
        width = max(3, len(str(len(group))))
        for n, site in enumerate(group, 1):
            site.id = "%s_%s%0*d" % (prefix, tag, width, n)
            site.marker.value = site.id


def instrument_source(source, relpath, operators=ops.DEFAULT, filename=None, prefix=None):
    """Instrument one module's source text.

    Returns an Instrumented whose sites carry ids ``<prefix>_gNNN`` numbered in source order.
    With no site the source is returned unchanged (but for a coding cookie made utf-8).
    Raises SyntaxError if the source does not parse, or ValueError if the instrumented code
    does not compile or would move a statement to another line (reported, never silent)."""
    tree = ast.parse(source, filename=filename or relpath)
    statement_lines = _statement_lines(tree)
    positions = _Positions(source)
    point = _import_point(tree, positions)
    import_offset = point[0] if point is not None else len(source) + 1
    prefix = prefix or id_prefix(relpath)
    transformer = _Transformer(positions, operators, import_offset, prefix)
    transformer.plan_constants(tree)
    transformer.visit(tree)
    transformer.place_probes()
    sites = transformer.sites
    if not sites:
        return Instrumented(_utf8_cookie(source), [])
    _number(sites, prefix)
    sites = sorted(sites, key=lambda site: site.id)
    regions = list(transformer.regions)
    if point is not None:
        regions.append(_Region(point[0], point[0], "insert", point[1:], len(regions)))
    text = _utf8_cookie(_Writer(source, regions).text())
    if not text.endswith("\n"):
        text += "\n"
    if point is None:  # for the functions' sites: a last line shifts nothing
        text += _IMPORT + "\n"
    text += "# Instrumented by gremlins_pytest from %s: do not edit.\n" % relpath
    try:
        instrumented_tree = compile(text, filename or relpath, "exec", ast.PyCF_ONLY_AST,
                                    dont_inherit=True)
        compile(instrumented_tree, filename or relpath, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ValueError("instrumented code of %s does not compile: %s" % (relpath, exc)) from exc
    moved = sorted(statement_lines - _statement_lines(instrumented_tree))
    if moved:
        raise ValueError("instrumenting %s would move the statements of line(s) %s"
                         % (relpath, ", ".join(map(str, moved[:5]))))
    return Instrumented(text, sites)
