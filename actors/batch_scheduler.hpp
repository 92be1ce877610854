#pragma once
// The batch scheduler actor (pytest-gremlins' BatchExecutor + the pool's supervision).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "messages/aggregator_actor.hpp"
#include "messages/pool_config.hpp"
#include "messages/scheduler_actor.hpp"

namespace gremlins {

/// What the scheduler needs: how to make a worker for a slot, where results go, the pool.
struct scheduler_setup {
  std::function<worker_actor(caf::actor_system&, std::uint32_t slot)> make_worker;
  aggregator_actor aggregator;
  pool_config cfg;
  std::uint32_t workers = 1;         ///< slots (cfg.max_workers, or 1 when not parallel)
  std::string executor;              ///< for pool_stats
  /// With worker nodes: who each slot belongs to ("local" or the node's HOST:PORT), for
  /// pool_stats::nodes. Empty: all slots are local and pool_stats::nodes stays empty.
  std::vector<std::string> slot_nodes;
};

/// Spawns a scheduler for one run.
scheduler_actor spawn_batch_scheduler(caf::actor_system& sys, scheduler_setup setup);

}  // namespace gremlins
