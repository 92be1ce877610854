"""Constants of the worker protocol (docs/protocol.md) that the adapter's side relies on."""

#: The protocol version sent in the worker's ``ready`` event.
PROTOCOL_VERSION = 1
#: The executors a worker offers (the ``executor`` field of a ``run`` request).
CAPABILITIES = ["fork", "inprocess"]
#: At most this many characters of test output go into a result (worker events, cold reports),
#: and 4 x this into the worker's collection ``error`` message.  This is the adapter's own
#: bound, as docs/protocol.md documents it ("Output limit"): the runtime does not shorten a
#: result's output itself (it only caps a protocol line at 1 MiB).
OUTPUT_LIMIT = 2000
