#pragma once
// The cold worker actor (the seed's WorkerPool slot): one fresh process per gremlin.

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

/// The environment of a test run of `gremlin_id` in slot `index` (SPEC §3); an empty id is the
/// baseline: no ACTIVE_GREMLIN.
std::vector<std::pair<std::string, std::string>>
test_environment(const command_spec& cmd, const std::string& gremlin_id, std::uint32_t index);

}  // namespace gremlins
