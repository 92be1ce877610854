#pragma once
// The node facade (docs/nodes.md): what `gremlin-actors node` runs on a machine with its own
// checkout. It offers `workers` worker slots to coordinators on the network: one published
// node actor (actors/node_server) whose slots are the cold and warm worker actors of a local
// run, running the command the node was started with, with its own process runner.

#include <functional>
#include <memory>
#include <string>

#include "messages/node_actor.hpp"
#include "messages/pool_config.hpp"
#include "runtime/remote/remoting.hpp"

namespace caf {
class actor_system;
class actor_system_config;
}  // namespace caf

namespace gremlins {

class process_runner;
class basp_gate;

/// How a node is started.
struct node_config {
  host_port listen;                 ///< port 0: the system chooses (see gremlin_node::address)
  std::uint32_t workers = 1;        ///< slots offered
  command_spec cmd;                 ///< what the node runs: test command and/or worker command
  tls_files tls;                    ///< all three, or none
  bool insecure_listen = false;     ///< without TLS, listen beyond loopback anyway
  std::string manifest_digest;      ///< gremlin_list_digest of the node's own gremlin list, if any
  std::function<void(const std::string&)> log;  ///< refusals and lost coordinators, one line each
};

/// A running node: listening from the constructor to the destructor.
class gremlin_node {
public:
  /// Refuses a config it cannot serve with std::invalid_argument (no command, no worker,
  /// plain TCP beyond loopback without insecure_listen, unusable TLS files); a port it cannot
  /// listen on with std::runtime_error.
  explicit gremlin_node(node_config cfg);
  /// Stops listening, ends every worker and its processes.
  ~gremlin_node();
  gremlin_node(const gremlin_node&) = delete;
  gremlin_node& operator=(const gremlin_node&) = delete;

  /// Where it listens (with the port the system chose).
  host_port address() const { return bound_; }
  bool tls() const { return cfg_.tls.enabled(); }
  /// What it tests, for a coordinator that names `files`.
  node_identity identity(const node_check& check) const;
  const node_config& config() const { return cfg_; }

private:
  node_config cfg_;
  host_port bound_;
  std::shared_ptr<process_runner> runner_;
  std::unique_ptr<caf::actor_system_config> sys_cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  node_actor server_;
  std::unique_ptr<basp_gate> gate_;
};

}  // namespace gremlins
