"""Mutation switching for one Python source file.

Every mutation site becomes a conditional expression that asks the switch module which gremlin
is active::

    a < b   ->   (a <= b if _gremlins_switch.active == 'calc_py_g001'
                  else (a > b if _gremlins_switch.active == 'calc_py_g002' else a < b))

Only one branch ever runs, so every operand is evaluated exactly once, in its original order,
and ``and``/``or`` keep their short-circuit.  The mutated branches are built from pristine
copies of the operands (only one gremlin is active at a time, so nested sites need no switch
there); only the original branch carries the nested switches.  That keeps the code linear in
the nesting depth instead of exponential.  Augmented assignments become an ``if`` statement,
``return x`` becomes ``return (None if ... else x)``.

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
                 "end_line", "end_column", "static", "order", "marker", "id")

    def __init__(self, operator, description, original, replacement, span, static, order):
        self.operator = operator
        self.description = description
        self.original = original
        self.replacement = replacement
        self.line, self.column, self.end_line, self.end_column = span
        self.static = static
        self.order = order
        self.marker = None  # the ast.Constant holding the id inside the switch check
        self.id = None

    def sort_key(self):
        """Source order, then operator order, then creation order: stable ids."""
        return (self.line, self.column, self.end_line, self.end_column,
                ops.OPERATORS.index(self.operator), self.order)

    def as_manifest(self, relpath):
        """This gremlin's entry of manifest.json's ``gremlins`` list, without ``tests``."""
        return {"id": self.id, "file": relpath, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column,
                "operator": self.operator, "description": self.description,
                "original": self.original, "replacement": self.replacement,
                "static": self.static}


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
        self.lines = source.splitlines(True)
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
        return ast.get_source_segment(self.source, node) or ast.unparse(node)


def _int_value(node):
    """The value of an int literal (also ``-5``), or None; bools are not ints here."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int):
        return -node.operand.value
    return None


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


class _Transformer(ast.NodeTransformer):
    """Replaces every mutation site by its switch; collects the Sites in creation order."""

    def __init__(self, positions, operators):
        self.pos = positions
        self.operators = set(operators)
        self.sites = []
        self.static = True  # module level runs at import time
        self.skip_constants = set()

    # -- helpers -------------------------------------------------------------------------

    def _site(self, operator, description, original, replacement, span):
        site = Site(operator, description, original, replacement, span, self.static,
                    len(self.sites))
        self.sites.append(site)
        return site

    def _check(self, site):
        marker = ast.Constant(value=None)
        site.marker = marker
        return ast.Compare(
            left=ast.Attribute(value=ast.Name(id=SWITCH, ctx=ast.Load()), attr="active",
                               ctx=ast.Load()),
            ops=[ast.Eq()], comparators=[marker])

    def _switch(self, instrumented, mutants):
        """``(m1 if check1 else (m2 if check2 else instrumented))`` for [(site, m), ...]."""
        expr = instrumented
        for site, mutant in reversed(mutants):
            expr = ast.IfExp(test=self._check(site), body=mutant, orelse=expr)
        return ast.copy_location(expr, instrumented) if mutants else instrumented

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
        # Annotations are left alone; defaults run where the def statement runs.
        args.defaults = self._visit_list(args.defaults)
        args.kw_defaults = self._visit_list(args.kw_defaults)

    def visit_FunctionDef(self, node):
        node.decorator_list = self._visit_list(node.decorator_list)
        self._visit_arguments(node.args)
        node.body = self._visit_list(node.body, static=False)
        return node

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
        node.body = self._visit_list(node.body)
        return node

    def visit_AnnAssign(self, node):
        node.target = self.visit(node.target)
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_match_case(self, node):
        # Patterns are not expressions: a switch cannot stand there.
        if node.guard is not None:
            node.guard = self.visit(node.guard)
        node.body = self._visit_list(node.body)
        return node

    # -- sites ---------------------------------------------------------------------------

    def visit_Compare(self, node):
        pristine = copy.deepcopy(node)
        self.generic_visit(node)
        mutants = []
        operands = [pristine.left] + pristine.comparators
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
        return self._switch(node, mutants)

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
        self.generic_visit(node)
        if "arithmetic" not in self.operators or type(node.op) not in ops.ARITHMETIC:
            return node
        symbol = ops.SYMBOL[type(node.op)] + "="
        span = self.pos.token(self.pos.end(pristine.target), self.pos.start(pristine.value),
                              symbol)
        if span is None:
            return node
        statement = node
        for new in reversed(ops.ARITHMETIC[type(node.op)]):
            mutant = copy.deepcopy(pristine)
            mutant.op = new()
            new_symbol = ops.SYMBOL[new] + "="
            site = self._site("arithmetic", "%s to %s" % (symbol, new_symbol), symbol,
                              new_symbol, span)
            statement = ast.copy_location(
                ast.If(test=self._check(site), body=[mutant], orelse=[statement]), node)
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
        pristine = copy.deepcopy(node)
        self.generic_visit(node)
        if "boolean" not in self.operators or not isinstance(node.op, ast.Not):
            return node
        site = self._site("boolean", "not x to x", self.pos.segment(pristine),
                          self.pos.segment(pristine.operand), self.pos.span(pristine))
        return self._switch(node, [(site, pristine.operand)])

    def visit_Constant(self, node):
        if ("boolean" not in self.operators or type(node.value) is not bool
                or id(node) in self.skip_constants):
            return node
        new = not node.value
        site = self._site("boolean", "%s to %s" % (node.value, new), str(node.value), str(new),
                          self.pos.span(node))
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
            site = self._site("return", "return x to return None", self.pos.segment(pristine),
                              "None", self.pos.span(pristine))
        node.value = self._switch(node.value, [(site, new)])
        return node


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


def instrument_source(source, relpath, operators=ops.OPERATORS, filename=None, prefix=None):
    """Instrument one module's source text.

    Returns an Instrumented whose sites carry ids ``<prefix>_gNNN`` numbered in source order.
    With no site the source is returned unchanged.  Raises SyntaxError if the source does not
    parse, or ValueError if the instrumented code does not compile (reported, never silent)."""
    tree = ast.parse(source, filename=filename or relpath)
    transformer = _Transformer(_Positions(source), operators)
    tree = transformer.visit(tree)
    sites = sorted(transformer.sites, key=Site.sort_key)
    if not sites:
        return Instrumented(source, [])
    prefix = prefix or id_prefix(relpath)
    width = max(3, len(str(len(sites))))
    for n, site in enumerate(sites, 1):
        site.id = "%s_g%0*d" % (prefix, width, n)
        site.marker.value = site.id
    tree.body.insert(_insertion_index(tree.body), ast.Import(names=[ast.alias(name=SWITCH)]))
    ast.fix_missing_locations(tree)
    text = ast.unparse(tree) + "\n"
    try:
        compile(text, filename or relpath, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ValueError("instrumented code of %s does not compile: %s" % (relpath, exc)) from exc
    header = "# Instrumented by gremlins_pytest from %s: do not edit.\n" % relpath
    return Instrumented(header + text, sites)
