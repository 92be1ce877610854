#pragma once
// The node server actor: what `gremlin-actors node` publishes (messages/node_actor.hpp). It
// says what the node tests and hands out worker slots, each a worker actor spawned here, on the
// node, by `make_worker` (cold or warm, exactly as a local run spawns them). It monitors who
// opened each slot: when that one goes (the run ended, or its connection dropped), the worker
// and its processes go too.

#include <cstdint>
#include <functional>
#include <string>

#include "caf/fwd.hpp"
#include "messages/node_actor.hpp"

namespace gremlins {

struct node_server_setup {
  /// Spawns the worker of a slot; `index` (0 to workers-1) is its GREMLIN_WORKER_INDEX.
  std::function<worker_actor(caf::actor_system&, const slot_request&, std::uint32_t index)> make_worker;
  /// What the node tests, with the digest of the files a coordinator names.
  std::function<node_identity(const node_check&)> identify;
  std::uint32_t workers = 1;
  bool warm = false;   ///< the node has a worker command
  bool cold = false;   ///< the node has a test command
  std::function<void(const std::string&)> log;  ///< one line per event worth a line
};

/// Spawns the node server.
node_actor spawn_node_server(caf::actor_system& sys, node_server_setup setup);

}  // namespace gremlins
