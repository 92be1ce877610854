#pragma once
// The cold worker actor (a WorkerPool slot of the subprocess executor): one fresh process per
// gremlin.

#include <cstdint>
#include <memory>

#include "caf/fwd.hpp"
#include "messages/pool_config.hpp"
#include "messages/worker_actor.hpp"

namespace gremlins {

class process_runner;

/// Spawns worker slot `index` that runs `cmd.argv` once per gremlin through `runner`.
worker_actor spawn_cold_worker(caf::actor_system& sys, std::shared_ptr<process_runner> runner,
                               command_spec cmd, pool_config cfg, std::uint32_t index);

}  // namespace gremlins
