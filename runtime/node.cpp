// A node's actor system loads the middleman (and, with TLS, libcaf_openssl's manager). With
// TLS the node actor is published through caf::openssl::publish: every peer must present a
// certificate the CA signed. Without TLS it is published behind the basp_gate
// (runtime/remote/basp_gate.hpp), which owns the port and hands each connection to the
// middleman as a scribe: caf::io::publish would expose the middleman to whatever bytes arrive.

#include "runtime/node.hpp"

#include <atomic>
#include <stdexcept>

#include "actors/cold_worker.hpp"
#include "actors/node_server.hpp"
#include "actors/warm_worker.hpp"
#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/exit_reason.hpp"
#include "caf/io/basp_broker.hpp"
#include "caf/io/middleman.hpp"
#include "caf/io/network/multiplexer.hpp"
#include "caf/openssl/publish.hpp"
#include "caf/send.hpp"
#include "messages/type_ids.hpp"
#include "runtime/process/runner.hpp"
#include "runtime/remote/basp_gate.hpp"
#include "runtime/remote/identity.hpp"

namespace gremlins {

gremlin_node::gremlin_node(node_config cfg) : cfg_(std::move(cfg)) {
  if (cfg_.cmd.argv.empty() && cfg_.cmd.worker_argv.empty())
    throw std::invalid_argument("a node needs a test command (after --) or a worker command (--worker-command)");
  if (cfg_.workers < 1 || cfg_.workers > 1024)
    throw std::invalid_argument("--workers: a node offers from 1 to 1024 workers, not " + std::to_string(cfg_.workers));
  if (auto why = tls_problem(cfg_.tls)) throw std::invalid_argument(*why);
  if (!cfg_.tls.enabled() && !cfg_.insecure_listen && !is_loopback_host(cfg_.listen.host))
    throw std::invalid_argument(
        "--listen " + cfg_.listen.text() +
        ": without TLS a node listens on loopback only (127.0.0.1, ::1); give --tls-cert, --tls-key "
        "and --tls-ca, or --insecure-listen to let anyone who can reach the port run gremlins here");
  runner_ = std::make_shared<process_runner>();
  sys_cfg_ = std::make_unique<caf::actor_system_config>();
  sys_cfg_->add_message_types<caf::id_block::gremlin_actors>();
  sys_cfg_->set("scheduler.policy", caf::atom("sharing"));
  sys_cfg_->set("scheduler.max-threads", std::max(2u, default_max_workers()));
  configure_remoting(*sys_cfg_, cfg_.tls);
  if (cfg_.tls.enabled()) set_tls_log(cfg_.log);
  sys_ = std::make_unique<caf::actor_system>(*sys_cfg_);

  node_server_setup setup;
  setup.workers = cfg_.workers;
  setup.warm = !cfg_.cmd.worker_argv.empty();
  setup.cold = !cfg_.cmd.argv.empty();
  setup.log = cfg_.log;
  auto runner = runner_;
  auto cmd = cfg_.cmd;
  setup.make_worker = [runner, cmd](caf::actor_system& sys, const slot_request& req, std::uint32_t index) {
    return req.warm ? spawn_warm_worker(sys, runner, cmd, req.cfg, index)
                    : spawn_cold_worker(sys, runner, cmd, req.cfg, index);
  };
  setup.identify = [this](const node_check& check) { return identity(check); };
  server_ = spawn_node_server(*sys_, std::move(setup));

  bound_ = cfg_.listen;
  if (cfg_.tls.enabled()) {
    auto port = caf::openssl::publish(server_, cfg_.listen.port, cfg_.listen.host.c_str(), true);
    if (!port) {
      auto why = sys_->render(port.error());
      caf::anon_send_exit(server_, caf::exit_reason::kill);
      throw std::runtime_error("cannot listen on " + cfg_.listen.text() + ": " + why);
    }
    bound_.port = *port;
  } else {
    auto basp = sys_->middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
    auto whom = caf::actor_cast<caf::strong_actor_ptr>(server_);
    auto sigs = sys_->message_types(server_);
    auto key = std::make_shared<std::atomic<std::uint16_t>>(0);
    auto* sys = sys_.get();
    auto adopt = [sys, basp, whom, sigs, key](int fd) {
      auto port = key->load();
      if (port == 0) return false;
      auto scribe = sys->middleman().backend().new_scribe(fd);
      if (!scribe) return false;
      caf::anon_send(basp, caf::publish_atom::value, std::move(scribe), port, whom, sigs);
      return true;
    };
    basp_gate::options gopts;
    gopts.host = cfg_.listen.host;
    gopts.port = cfg_.listen.port;
    try {
      gate_ = std::make_unique<basp_gate>(gopts, adopt, cfg_.log);
    } catch (...) {
      caf::anon_send_exit(server_, caf::exit_reason::kill);
      throw;
    }
    bound_.port = gate_->port();
    key->store(bound_.port);
  }
}

gremlin_node::~gremlin_node() {
  gate_.reset();  // no new connection; the open ones end, and with them their workers
  caf::anon_send_exit(server_, caf::exit_reason::kill);  // ends every worker it still has
  server_ = nullptr;
  sys_.reset();     // joins the actor threads: no worker can start a process any more
  set_tls_log({});
  runner_.reset();  // kills and reaps whatever is left
}

node_identity gremlin_node::identity(const node_check& check) const {
  node_identity id;
  id.version = GREMLINS_VERSION;
  id.workers = cfg_.workers;
  id.warm = !cfg_.cmd.worker_argv.empty();
  id.cold = !cfg_.cmd.argv.empty();
  id.command_digest = command_digest(cfg_.cmd);
  id.command_text = command_text(cfg_.cmd);
  id.sources_digest = sources_digest(cfg_.cmd, check.files);
  id.manifest_digest = cfg_.manifest_digest;
  return id;
}

}  // namespace gremlins
