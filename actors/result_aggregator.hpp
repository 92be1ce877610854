#pragma once
// The result aggregator actor (pytest-gremlins' ResultAggregator).

#include <cstdint>

#include "caf/fwd.hpp"
#include "messages/aggregator_actor.hpp"

namespace gremlins {

/// Spawns an aggregator expecting `total` results.
aggregator_actor spawn_result_aggregator(caf::actor_system& sys, std::uint32_t total);

}  // namespace gremlins
