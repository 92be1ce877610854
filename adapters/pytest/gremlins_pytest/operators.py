"""The mutation operators: which syntax each one changes, and into what.

Each operator (family) name can be selected with ``--operators``; the tables here are the
single source of truth for the instrumenter, for the descriptions in the manifest and for
``python -m gremlins_pytest list-operators``.
"""

import ast

#: Every operator, in the order used to number gremlins that share a site.  The first five are
#: the original families, whose sites keep their ``_gNNN`` ids (see LEGACY).
OPERATORS = ("comparison", "arithmetic", "boolean", "boundary", "return",
             "number", "identity", "membership", "unary", "bool_literal", "loop_control",
             "aug_assign", "condition", "default", "string", "call")

#: The operators a run uses when none are named: all but the opt-in ones.
OPT_IN = ("string", "call")
DEFAULT = tuple(op for op in OPERATORS if op not in OPT_IN)

#: The families of the first release.  Their sites are numbered ``<prefix>_gNNN`` among
#: themselves, exactly as before the other families existed (the results store reuses verdicts
#: by id), with the family each site was made by then: ``not x`` and ``True``/``False`` were
#: ``boolean`` sites and are now ``unary`` and ``bool_literal`` ones.
LEGACY = ("comparison", "arithmetic", "boolean", "boundary", "return")

#: The id tag of the sites of each newer family: ``<prefix>_<tag>NNN``, numbered per family.
ID_TAG = {"number": "n", "identity": "is", "membership": "in", "unary": "u",
          "bool_literal": "b", "loop_control": "l", "aug_assign": "a", "condition": "c",
          "default": "d", "string": "s", "call": "k"}

#: One line per operator: what it mutates (``list-operators``).
DESCRIPTION = {
    "comparison": "< <= > >= == != each into its neighbours (a < b -> a <= b, a > b)",
    "arithmetic": "+ <-> -, * -> /, / -> *, // -> /, % -> //, ** -> *, also in op= (+= -> -=)",
    "boolean": "each and <-> or of a chain",
    "boundary": "an int operand of a comparison +1 and -1 (x < 10 -> x < 11, x < 9)",
    "return": "return x -> return None; return True <-> return False",
    "number": "an int or float literal +1 (10 -> 11, 0.5 -> 1.5, 0 -> 1, -1 -> 0)",
    "identity": "is <-> is not",
    "membership": "in <-> not in",
    "unary": "not x -> x, -x -> x, ~x -> x (not +x: equivalent on numbers)",
    "bool_literal": "True <-> False",
    "loop_control": "break <-> continue as the last statement of a loop body (alone on its line)",
    "aug_assign": "an augmented assignment made plain: x += y -> x = y (every op=)",
    "condition": "the condition of if, while and x if c else y negated (if c -> if not c)",
    "default": "a number or string default of an argument (def f(n=10) -> n=11, s='a' -> 'XXaXX')",
    "string": "a string literal 'abc' -> 'XXabcXX' (not docstrings, f-strings, __all__)",
    "call": "a call statement whose value is unused -> None (log(x) -> None)",
}

#: comparison: each operator class and the classes it is mutated into.
COMPARISON = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.Gt),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.Lt),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
}

#: identity and membership: each operator class and its opposite.
IDENTITY = {ast.Is: ast.IsNot, ast.IsNot: ast.Is}
MEMBERSHIP = {ast.In: ast.NotIn, ast.NotIn: ast.In}

#: arithmetic: each binary operator class and the classes it is mutated into.
ARITHMETIC = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div,),
    ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Div,),
    ast.Mod: (ast.FloorDiv,),
    ast.Pow: (ast.Mult,),
}

#: augmented assignments: the ``operator`` function that does each in-place operation
#: (``t += b`` is ``t = iadd(t, b)``); the switch module exports them.
INPLACE = {
    ast.Add: "iadd", ast.Sub: "isub", ast.Mult: "imul", ast.Div: "itruediv",
    ast.FloorDiv: "ifloordiv", ast.Mod: "imod", ast.Pow: "ipow", ast.BitOr: "ior",
    ast.BitAnd: "iand", ast.BitXor: "ixor", ast.LShift: "ilshift", ast.RShift: "irshift",
    ast.MatMult: "imatmul",
}

#: boolean: and <-> or.
BOOLEAN_OPS = {ast.And: ast.Or, ast.Or: ast.And}

#: unary: the operators whose removal is a mutant (``not`` is one of them).
UNARY = {ast.Not: "not", ast.USub: "-", ast.Invert: "~"}

#: The source spelling of every operator class above.
SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.And: "and", ast.Or: "or", ast.BitOr: "|",
    ast.BitAnd: "&", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
}


def parse_operators(text):
    """The operator names of a comma-separated list (None or "" = the DEFAULT set), in
    canonical order; ``all`` names every operator, ``default`` the default set.

    Raises ValueError naming the unknown operator."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return list(DEFAULT)
    items = text if isinstance(text, (list, tuple)) else [text]
    names = []
    for item in items:
        names.extend(p.strip() for p in str(item).split(",") if p.strip())
    if not names:
        return list(DEFAULT)
    expanded = []
    for n in names:
        expanded.extend(OPERATORS if n == "all" else DEFAULT if n == "default" else [n])
    unknown = [n for n in expanded if n not in OPERATORS]
    if unknown:
        raise ValueError("unknown operator %r (known: %s, or all, default)"
                         % (unknown[0], ", ".join(OPERATORS)))
    return [op for op in OPERATORS if op in expanded]


def listing():
    """The text of ``list-operators``: one line per operator, the default set marked."""
    width = max(len(op) for op in OPERATORS)
    lines = []
    for op in OPERATORS:
        mark = "opt-in " if op in OPT_IN else "default"
        lines.append("%-*s  %s  %s" % (width, op, mark, DESCRIPTION[op]))
    lines.append("default set: %s" % ",".join(DEFAULT))
    return "\n".join(lines) + "\n"
