#pragma once
// The warm worker actor (pytest-gremlins' PersistentWorkerPool slot): one long-lived process that
// speaks the worker protocol (docs/protocol.md), started once, warmed up, and reused for many gremlins.

#include <cstdint>
#include <memory>

#include "caf/fwd.hpp"
#include "messages/pool_config.hpp"
#include "messages/worker_actor.hpp"

namespace gremlins {

class process_runner;

/// Spawns worker slot `index` running `cmd.worker_argv` through `runner`.
worker_actor spawn_warm_worker(caf::actor_system& sys, std::shared_ptr<process_runner> runner,
                               command_spec cmd, pool_config cfg, std::uint32_t index);

}  // namespace gremlins
