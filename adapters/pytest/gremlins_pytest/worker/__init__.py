"""The pytest warm worker: one long-lived pytest process that tests gremlins on request.

It speaks the gremlin-actors worker protocol (docs/protocol.md) on the descriptors named by
``GREMLIN_REQUEST_FD`` and ``GREMLIN_REPLY_FD`` and imports nothing from the runtime's side.
Start it in the project's folder::

    python -m gremlins_pytest.worker --gremlins-dir OUT            # reads OUT/run.json
    python -m gremlins_pytest.worker --project DIR --instrumented-dir DIR [-- PYTEST_ARGS...]

stdin, stdout and stderr belong to the tests; the worker's own diagnostics go to stderr, one
line each.

Modules: ``settings`` (options, run.json, the manifest's static gremlins), ``imports`` (the
instrumented sources win over the project's own), ``channel`` (the protocol descriptors),
``running`` (the tests of one gremlin, stopping at the first failure), ``fork_executor`` and
``inprocess_executor`` (one run request each way), ``fork_safety`` (no ``fork`` in ``ready``'s
capabilities while other threads are alive), ``loop`` (the pytest plugin that takes over the
run-test loop, the command loop, ``main``).
"""
