#pragma once
// The interface of a worker actor: one slot of the pool. A cold worker (actors/cold_worker)
// starts one process per gremlin; a warm worker (actors/warm_worker) keeps a process that
// speaks the worker protocol (docs/protocol.md). The scheduler sees only this handle.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/error.hpp"
#include "caf/make_message.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/atoms.hpp"
#include "messages/gremlin.hpp"
#include "messages/process_events.hpp"
#include "messages/progress.hpp"
#include "messages/worker_result.hpp"

namespace gremlins {

/// Why a worker actor quit on its own, as the error category "gremlins" of its exit reason.
/// The scheduler reads it to decide whom to blame; the error's context holds a message.
enum class worker_exit : std::uint8_t {
  process_died = 1,  ///< its process died mid-gremlin: the oldest unanswered gremlin is blamed
  recycled = 2,      ///< it answered everything it owed and wants a fresh replacement: no blame
  warmup_failed = 3, ///< it never became ready (after its retries)
  protocol_fault = 4,  ///< its process broke the protocol; the gremlin in flight was answered
                       ///< `error` with the line, the rest goes to a replacement: no blame
  node_lost = 5,     ///< a remote worker's node died or its connection dropped: what it held
                     ///< goes back to the queue without blame, and the slot is not replaced
};

/// The exit reason a worker quits with.
inline caf::error make_error(worker_exit x, std::string message) {
  return caf::error(static_cast<std::uint8_t>(x), caf::atom("gremlins"),
                    caf::make_message(std::move(message)));
}

/// What a worker reports after warm-up.
struct warmup_report {
  bool warm = false;        ///< the worker is ready for gremlins
  double warmup_ms = 0;     ///< time to `ready` (0 for a cold worker)
  std::string executor;     ///< the executor it will use: subprocess, fork or inprocess
  std::string error;        ///< why warm-up failed, with the worker's output
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, warmup_report& x) {
  return f(caf::meta::type_name("warmup_report"), x.warm, x.warmup_ms, x.executor, x.error);
}

/// A worker slot. Requests are answered in the order they arrive; several `run` requests may
/// be outstanding at once (a batch), each gets exactly one worker_result. The `reacts_to`
/// entries are the worker's own events: process I/O from the process runner, and timers.
using worker_actor = caf::typed_actor<
  caf::replies_to<warmup_atom>::with<warmup_report>,
  caf::replies_to<run_atom, gremlin>::with<worker_result>,
  caf::reacts_to<proc_start_atom, std::uint64_t, std::int32_t>,
  caf::reacts_to<proc_lines_atom, std::uint64_t, std::vector<std::string>>,
  caf::reacts_to<proc_exit_atom, std::uint64_t, process_exit>,
  caf::reacts_to<proc_overflow_atom, std::uint64_t>,
  caf::reacts_to<deadline_atom, std::uint64_t>,
  caf::reacts_to<warmup_deadline_atom, std::uint64_t>,
  caf::reacts_to<force_kill_atom, std::uint64_t>,
  caf::reacts_to<flush_atom>>;  ///< a warm worker's own: the requests that arrived together go out in one write

}  // namespace gremlins
