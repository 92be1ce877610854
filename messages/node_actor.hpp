#pragma once
// The interface of a worker node (docs/nodes.md): the one actor a `gremlin-actors node`
// publishes on the network. A coordinator asks it what it tests (hello) and for worker slots
// (open); a slot is an ordinary worker_actor that the node spawns locally, cold or warm, with
// the command the node was started with. A coordinator never sends a command line: only a
// pool_config (how to run: time limits, executor, reuse) and then gremlins.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/typed_actor.hpp"
#include "messages/atoms.hpp"
#include "messages/pool_config.hpp"
#include "messages/worker_actor.hpp"

namespace gremlins {

/// What a coordinator asks a node to check: the source files its gremlins name (relative to
/// the rootdir; the node hashes its own copies) and who asks.
struct node_check {
  std::vector<std::string> files;
  std::string version;  ///< the coordinator's gremlin-actors version
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_check& x) {
  return f(caf::meta::type_name("node_check"), x.files, x.version);
}

/// What a node tests and offers. Digests are SHA-256 in hex (runtime/remote/identity.hpp); a
/// coordinator computes the same ones from its own command and checkout and refuses a node
/// whose digests differ.
struct node_identity {
  std::string version;            ///< the node's gremlin-actors version
  std::uint32_t workers = 0;      ///< slots it offers
  bool warm = false;              ///< it has a worker command (warm slots)
  bool cold = false;              ///< it has a test command (cold slots)
  std::string command_digest;     ///< the test and worker commands, environment, exit codes
  std::string command_text;       ///< the same, for people (shown when it differs)
  std::string sources_digest;     ///< the files asked for in node_check, and the instrumented dir
  std::string manifest_digest;    ///< the node's own gremlin list, when it was given one
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_identity& x) {
  return f(caf::meta::type_name("node_identity"), x.version, x.workers, x.warm, x.cold,
           x.command_digest, x.command_text, x.sources_digest, x.manifest_digest);
}

/// A request for one worker slot on a node.
struct slot_request {
  bool warm = false;   ///< a warm worker (the node's worker command), else a cold one
  pool_config cfg;     ///< how the slot runs gremlins (never what it runs)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, slot_request& x) {
  return f(caf::meta::type_name("slot_request"), x.warm, x.cfg);
}

/// The published actor of a node. `open` answers with a worker that lives on the node for as
/// long as the one who opened it (the node monitors the requester: when it goes, or its
/// connection drops, the worker and its processes are ended). A node with every slot taken
/// holds the request until one is free.
using node_actor = caf::typed_actor<
  caf::replies_to<node_hello_atom, node_check>::with<node_identity>,
  caf::replies_to<node_open_atom, slot_request>::with<worker_actor>>;

}  // namespace gremlins
