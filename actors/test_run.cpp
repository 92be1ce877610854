#include "actors/test_run.hpp"

namespace gremlins {

std::vector<std::pair<std::string, std::string>>
test_environment(const command_spec& cmd, const std::string& gremlin_id, std::uint32_t index) {
  auto env = cmd.env;
  if (!gremlin_id.empty()) env.emplace_back("ACTIVE_GREMLIN", gremlin_id);
  env.emplace_back("GREMLIN_WORKER_INDEX", std::to_string(index));
  if (!cmd.instrumented_dir.empty()) env.emplace_back("GREMLIN_INSTRUMENTED_DIR", cmd.instrumented_dir);
  return env;
}

namespace {

process_spec base_spec(const worker_head& head, std::vector<std::string> argv,
                       const std::string& gremlin_id) {
  process_spec spec;
  spec.argv = std::move(argv);
  spec.cwd = head.cmd.rootdir;
  spec.env = test_environment(head.cmd, gremlin_id, head.index);
  spec.method = head.cfg.method;
  spec.output_tail_bytes = head.cmd.output_tail_bytes;
  return spec;
}

}  // namespace

process_spec cold_run_spec(const worker_head& head, const std::string& gremlin_id) {
  return base_spec(head, head.cmd.argv, gremlin_id);
}

process_spec warm_worker_spec(const worker_head& head, int protocol_version) {
  auto spec = base_spec(head, head.cmd.worker_argv, "");
  spec.env.emplace_back("GREMLIN_PROTOCOL", std::to_string(protocol_version));
  spec.protocol_pipes = true;
  return spec;
}

}  // namespace gremlins
