#pragma once
// The coordinator's side of worker nodes (docs/nodes.md): connect to each node, check that it
// tests what this run tests, and plan the slots of a phase (local ones first, then every
// node's), so that the batch scheduler pulls work for local and remote slots alike.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "caf/fwd.hpp"
#include "messages/gremlin.hpp"
#include "messages/node_actor.hpp"
#include "messages/pool_config.hpp"
#include "runtime/remote/remoting.hpp"

namespace gremlins {

/// What a run needs to use worker nodes.
struct remote_config {
  std::vector<std::string> nodes;                ///< HOST:PORT of each node
  tls_files tls;                                 ///< all three, or none (plain TCP)
  std::optional<std::uint32_t> local_workers;    ///< 0: remote slots only; unset: cfg.max_workers
  std::function<void(const std::string&)> log;   ///< TLS refusals, one line each
  bool enabled() const { return !nodes.empty(); }
};

/// A node that was connected and accepted.
struct connected_node {
  host_port where;
  node_actor handle;
  node_identity id;
};

/// Connects to every node of `remote` and compares what it tests with `cmd` and `gremlins`.
/// Accepted nodes go to `out`; the result holds one refusal per node that was not (it names
/// the node and, for a node that tests something else, both digests).
std::vector<std::string> connect_nodes(caf::actor_system& sys, const remote_config& remote,
                                       const command_spec& cmd, const std::vector<gremlin>& gremlins,
                                       std::vector<connected_node>& out);

/// The slots of one phase: `local` local ones, then each node's that can run the phase.
struct slot_plan {
  std::vector<std::string> labels;               ///< "local" or HOST:PORT, per slot
  std::vector<const connected_node*> node;       ///< nullptr for a local slot
  std::uint32_t local = 0;
};

slot_plan plan_slots(std::uint32_t local, const std::vector<connected_node>& nodes, bool warm);

}  // namespace gremlins
