#pragma once
// The interface of the batch scheduler (pytest-gremlins' BatchExecutor): it owns the queue, spawns
// and supervises the worker actors, and records every result with the aggregator.

#include <vector>

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/atoms.hpp"
#include "messages/gremlin.hpp"
#include "messages/progress.hpp"
#include "messages/worker_actor.hpp"

namespace gremlins {

/// `run` tests every gremlin (each result goes to the aggregator as it arrives) and answers,
/// when the last one is recorded, with how the pool ran. `stop` cancels: gremlins not yet
/// started are recorded as errors ("cancelled"), running ones are killed.
using scheduler_actor = caf::typed_actor<
  caf::replies_to<warmup_atom>::with<pool_stats>,
  caf::replies_to<run_atom, std::vector<gremlin>>::with<pool_stats>,
  caf::reacts_to<stop_atom>,
  caf::reacts_to<deadline_atom, std::uint64_t>>;  ///< its own safety net on workers' answers

}  // namespace gremlins
