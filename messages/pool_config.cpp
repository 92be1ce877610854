#include "messages/pool_config.hpp"

#include <thread>

namespace gremlins {

namespace {

template <class Enum, std::size_t N>
std::optional<Enum> parse_enum(const std::string& s, const char* const (&names)[N]) {
  for (std::size_t i = 0; i < N; ++i)
    if (s == names[i]) return static_cast<Enum>(i);
  return std::nullopt;
}

const char* const start_method_names[] = {"auto", "spawn", "fork", "forkserver"};
const char* const executor_names[] = {"auto", "subprocess", "fork", "inprocess"};
const char* const distribution_names[] = {"pull", "round-robin", "weighted"};

}  // namespace

const char* to_string(start_method m) { return start_method_names[static_cast<int>(m)]; }
const char* to_string(executor_kind e) { return executor_names[static_cast<int>(e)]; }
const char* to_string(distribution d) { return distribution_names[static_cast<int>(d)]; }

std::optional<start_method> parse_start_method(const std::string& s) {
  return parse_enum<start_method>(s, start_method_names);
}
std::optional<executor_kind> parse_executor(const std::string& s) {
  return parse_enum<executor_kind>(s, executor_names);
}
std::optional<distribution> parse_distribution(const std::string& s) {
  return parse_enum<distribution>(s, distribution_names);
}

// On Linux posix_spawn (vfork + exec) is the cheapest way to start a process: it copies no
// page tables, whatever the size of the runtime. fork+exec and the fork server stay
// available for runners that need them (README "Start methods").
start_method get_optimal_start_method() { return start_method::spawn; }

std::uint32_t default_max_workers() {
  auto n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

std::optional<std::string> validate(const pool_config& cfg) {
  if (cfg.max_workers < 1 || cfg.max_workers > 1024)
    return "max_workers must be between 1 and 1024 (got " + std::to_string(cfg.max_workers) + ")";
  if (!(cfg.timeout_s > 0) || cfg.timeout_s > 86400)
    return "timeout must be more than 0 and at most 86400 seconds (got " +
           std::to_string(cfg.timeout_s) + ")";
  if (cfg.batch_size < 1 || cfg.batch_size > 100000)
    return "batch_size must be between 1 and 100000 (got " + std::to_string(cfg.batch_size) + ")";
  if (!(cfg.timeout_factor >= 1))
    return "timeout_factor must be at least 1 (got " + std::to_string(cfg.timeout_factor) + ")";
  if (!(cfg.timeout_constant_ms >= 0))
    return "timeout_constant_ms must not be negative";
  if (!(cfg.timeout_floor_ms > 0))
    return "timeout_floor_ms must be more than 0";
  if (!(cfg.kill_grace_ms >= 0) || cfg.kill_grace_ms > 60000)
    return "kill_grace_ms must be between 0 and 60000";
  if (!(cfg.warmup_timeout_s > 0))
    return "warmup_timeout must be more than 0 seconds";
  return std::nullopt;
}

}  // namespace gremlins
