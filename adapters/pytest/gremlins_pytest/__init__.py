"""gremlins_pytest: the pytest adapter of gremlin-actors (mutation testing with warm workers).

Modules: ``prepare`` (instrument + baseline, ``python -m gremlins_pytest prepare``),
``instrument`` (mutation switching of one file), ``switch`` (the generated switch module),
``project`` (targets and the instrumented tree), ``baseline`` (coverage per test), ``cold``
(one gremlin in a fresh interpreter), ``worker`` (the warm worker, a package),
``plugin`` (``pytest --gremlins``); shared by them: ``errors`` (UsageError), ``protocol``
(the worker protocol's constants), ``run_json`` (reading run.json and the manifest),
``pytest_support`` (the ``--`` split, importing the switch, pytest plugins).
"""

__version__ = "0.1.0"
