#include "runtime/rules/classify.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <sstream>

namespace gremlins {

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string first_failed_test(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("FAILED ", 0) != 0) continue;
    auto id = line.substr(7);
    auto end = id.find(" - ");
    if (end != std::string::npos) id.resize(end);
    while (!id.empty() && (id.back() == ' ' || id.back() == '\r')) id.pop_back();
    return id;
  }
  return {};
}

worker_result classify_cold(const std::string& gremlin_id, const process_exit& e, ended_by why,
                            const command_spec& cmd, double limit_ms) {
  worker_result r;
  r.gremlin_id = gremlin_id;
  r.execution_time_ms = e.wall_ms;
  if (!e.spawn_error.empty()) {
    r.verdict = status::error;
    r.error_output = "could not start the test command: " + e.spawn_error;
    return r;
  }
  if (why == ended_by::time_limit) {
    r.verdict = status::timeout;
    r.error_output = "time limit of " + std::to_string(static_cast<long>(limit_ms)) +
                     " ms exceeded; process group killed\n" + e.output;
    return r;
  }
  if (e.term_signal != 0) {
    r.verdict = cmd.signal_is_error ? status::error : status::zapped;
    r.error_output = "killed by " + signal_name(e.term_signal) + "\n" + e.output;
    return r;
  }
  const auto& errs = cmd.error_exit_codes;
  if (e.exit_code == 0) {
    r.verdict = status::survived;
  } else if (std::find(errs.begin(), errs.end(), e.exit_code) != errs.end()) {
    r.verdict = status::error;
    r.error_output = "test command exited with " + std::to_string(e.exit_code) + "\n" + e.output;
  } else {
    r.verdict = status::zapped;
    r.killing_test = first_failed_test(e.output);
    if (gremlin_id.empty()) r.error_output = e.output;  // a failed baseline shows its output
  }
  return r;
}

}  // namespace gremlins
