#include "runtime/nodes.hpp"

#include <chrono>

#include "caf/actor_system.hpp"
#include "caf/scoped_actor.hpp"
#include "runtime/remote/identity.hpp"

namespace gremlins {

namespace {

constexpr auto connect_limit = std::chrono::seconds(15);
constexpr auto hello_limit = std::chrono::seconds(60);  // hashing a large checkout takes a while

std::string differs(const std::string& what, const std::string& node_digest, const std::string& our_digest) {
  return what + ": node " + short_digest(node_digest) + ", here " + short_digest(our_digest);
}

}  // namespace

std::vector<std::string> connect_nodes(caf::actor_system& sys, const remote_config& remote,
                                       const command_spec& cmd, const std::vector<gremlin>& gremlins,
                                       std::vector<connected_node>& out) {
  std::vector<std::string> refusals;
  node_check check;
  check.files = source_files(gremlins, cmd.rootdir);
  check.version = GREMLINS_VERSION;
  const auto our_command = command_digest(cmd);
  const auto our_sources = sources_digest(cmd, check.files);
  std::string our_gremlins;  // computed when a node has a list to compare
  for (const auto& text : remote.nodes) {
    std::string why;
    auto where = parse_host_port(text, why);
    if (!where) {
      refusals.push_back("--nodes: " + why);
      continue;
    }
    auto handle = connect_node(sys, *where, remote.tls.enabled(), connect_limit);
    if (!handle) {
      refusals.push_back("node " + where->text() + ": cannot connect: " + sys.render(handle.error()) +
                         (remote.tls.enabled() ? " (with TLS: do both sides trust the same CA?)" : ""));
      continue;
    }
    std::optional<node_identity> id;
    caf::scoped_actor self{sys};
    self->request(*handle, hello_limit, node_hello_atom::value, check)
      .receive([&](node_identity& x) { id = std::move(x); },
               [&](caf::error& err) {
                 refusals.push_back("node " + where->text() + ": no answer to hello: " + sys.render(err));
               });
    if (!id) continue;
    std::vector<std::string> diffs;
    if (id->command_digest != our_command)
      diffs.push_back(differs("command", id->command_digest, our_command) + " (node: " + id->command_text +
                      "; here: " + command_text(cmd) + ")");
    if (id->sources_digest != our_sources)
      diffs.push_back(differs("sources", id->sources_digest, our_sources) +
                      " (the files the gremlins name" + (cmd.instrumented_dir.empty() ? "" : ", and the instrumented dir") + ")");
    if (!id->manifest_digest.empty()) {
      if (our_gremlins.empty()) our_gremlins = gremlin_list_digest(gremlins);
      if (id->manifest_digest != our_gremlins)
        diffs.push_back(differs("gremlin list", id->manifest_digest, our_gremlins));
    }
    if (!diffs.empty()) {
      std::string line = "node " + where->text() + " tests something else, refused:";
      for (const auto& d : diffs) line += "\n  " + d;
      refusals.push_back(line);
      continue;
    }
    out.push_back(connected_node{*where, std::move(*handle), std::move(*id)});
  }
  return refusals;
}

slot_plan plan_slots(std::uint32_t local, const std::vector<connected_node>& nodes, bool warm) {
  slot_plan plan;
  plan.local = local;
  for (std::uint32_t i = 0; i < local; ++i) {
    plan.labels.push_back("local");
    plan.node.push_back(nullptr);
  }
  for (const auto& n : nodes) {
    if (warm ? !n.id.warm : !n.id.cold) continue;
    for (std::uint32_t i = 0; i < n.id.workers; ++i) {
      plan.labels.push_back(n.where.text());
      plan.node.push_back(&n);
    }
  }
  return plan;
}

}  // namespace gremlins
