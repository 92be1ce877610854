#pragma once
// The interface of the result aggregator (pytest-gremlins' ResultAggregator) and of its subscribers.

#include <string>
#include <vector>

#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/atoms.hpp"
#include "messages/progress.hpp"
#include "messages/worker_result.hpp"

namespace gremlins {

/// Receives a progress event after every recorded result (the CLI's progress line is one).
using progress_listener =
  caf::typed_actor<caf::reacts_to<progress_atom, progress, worker_result>>;

/// Collects results: one per gremlin id (a second result for the same id replaces nothing and
/// is ignored), counts per status, progress, and results sorted by gremlin id.
using aggregator_actor = caf::typed_actor<
  caf::reacts_to<add_result_atom, worker_result>,
  caf::reacts_to<add_error_atom, std::string, std::string>,
  caf::replies_to<results_atom>::with<std::vector<worker_result>>,
  caf::replies_to<progress_atom>::with<progress>,
  caf::replies_to<subscribe_atom, progress_listener>::with<progress>>;

}  // namespace gremlins
