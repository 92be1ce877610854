#pragma once
// What the cold and the warm worker actor share: the head of their state (process runner,
// command, configuration, slot) and how a test run's process is described. Not an actor:
// both worker actors include this, neither includes the other.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "messages/pool_config.hpp"
#include "runtime/process/runner.hpp"

namespace gremlins {

/// The first part of every worker actor's state.
struct worker_head {
  std::shared_ptr<process_runner> runner;
  command_spec cmd;
  pool_config cfg;
  std::uint32_t index = 0;  ///< the worker slot, exported as GREMLIN_WORKER_INDEX
};

/// The environment of a test run of `gremlin_id` in slot `index` (README "Any test command");
/// an empty id is the baseline: no ACTIVE_GREMLIN.
std::vector<std::pair<std::string, std::string>>
test_environment(const command_spec& cmd, const std::string& gremlin_id, std::uint32_t index);

/// The process of one cold test run of `gremlin_id` (the test command, fresh).
process_spec cold_run_spec(const worker_head& head, const std::string& gremlin_id);

/// The process of a warm worker (the worker command, with the protocol pipes, no gremlin).
process_spec warm_worker_spec(const worker_head& head, int protocol_version);

}  // namespace gremlins
