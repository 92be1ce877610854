"""The mutation operators: which syntax each one changes, and into what.

Each operator name can be selected with ``--operators``; the tables here are the single
source of truth for the instrumenter and for the descriptions in the manifest.
"""

import ast

#: Every operator, in the order used to number gremlins that share a site.
OPERATORS = ("comparison", "arithmetic", "boolean", "boundary", "return")

#: comparison: each operator class and the classes it is mutated into.
COMPARISON = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.Gt),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.Lt),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
}

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

#: arithmetic in augmented assignments: the ``operator`` function that does each in-place
#: operation (``t += b`` is ``t = iadd(t, b)``); the switch module exports them.
INPLACE = {
    ast.Add: "iadd", ast.Sub: "isub", ast.Mult: "imul", ast.Div: "itruediv",
    ast.FloorDiv: "ifloordiv", ast.Mod: "imod", ast.Pow: "ipow",
}

#: boolean: and <-> or.
BOOLEAN_OPS = {ast.And: ast.Or, ast.Or: ast.And}

#: The source spelling of every operator class above.
SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.And: "and", ast.Or: "or",
}


def parse_operators(text):
    """The operator names of a comma-separated list (None or "" = all), in canonical order.

    Raises ValueError naming the unknown operator."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return list(OPERATORS)
    items = text if isinstance(text, (list, tuple)) else [text]
    names = []
    for item in items:
        names.extend(p.strip() for p in str(item).split(",") if p.strip())
    unknown = [n for n in names if n not in OPERATORS]
    if unknown:
        raise ValueError("unknown operator %r (known: %s)" % (unknown[0], ", ".join(OPERATORS)))
    return [op for op in OPERATORS if op in names]
