"""gremlins_pytest: the pytest adapter of gremlin-actors (mutation testing with warm workers).

Modules: ``prepare`` (instrument + baseline, ``python -m gremlins_pytest prepare``),
``instrument`` (mutation switching of one file), ``project`` (targets and the instrumented
tree), ``baseline`` (coverage per test), ``cold`` (one gremlin in a fresh interpreter),
``worker`` (the warm worker), ``plugin`` (``pytest --gremlins``).
"""

__version__ = "0.1.0"
