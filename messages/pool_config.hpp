#pragma once
// How the pool runs (pytest-gremlins' PoolConfig) and what it runs (the test command).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "caf/meta/type_name.hpp"

namespace gremlins {

/// How the runtime starts its own child processes (README: "Start methods").
enum class start_method : std::uint8_t { auto_, spawn, fork, forkserver };

/// How a gremlin is executed: a fresh process, or asked of a warm worker.
enum class executor_kind : std::uint8_t { auto_, subprocess, fork, inprocess };

/// How queued gremlins reach workers.
enum class distribution : std::uint8_t { pull, round_robin, weighted };

const char* to_string(start_method m);
const char* to_string(executor_kind e);
const char* to_string(distribution d);
std::optional<start_method> parse_start_method(const std::string& s);
std::optional<executor_kind> parse_executor(const std::string& s);
std::optional<distribution> parse_distribution(const std::string& s);

/// The start method `auto` resolves to on this platform (pytest-gremlins' get_optimal_start_method).
start_method get_optimal_start_method();

/// Default worker count: the number of CPUs (at least 1).
std::uint32_t default_max_workers();

/// pytest-gremlins' PoolConfig plus the supervision limits of this runtime.
struct pool_config {
  std::uint32_t max_workers = default_max_workers();
  double timeout_s = 30;          ///< fixed time limit per gremlin, when not adaptive
  start_method method = start_method::auto_;
  bool warmup = true;             ///< start warm workers before the first gremlin
  std::uint32_t batch_size = 10;
  bool batch = false;             ///< hand whole batches to workers
  executor_kind executor = executor_kind::auto_;
  distribution strategy = distribution::pull;
  // Adaptive time limit: max(floor, factor x covering time + constant), see README.
  bool adaptive_timeout = true;
  double timeout_factor = 3.0;
  double timeout_constant_ms = 2000;
  double timeout_floor_ms = 2000;
  double kill_grace_ms = 500;     ///< SIGTERM, then SIGKILL after this long
  std::uint32_t max_restarts = 16;  ///< replacement workers allowed in one run
  std::uint32_t max_reuse = 0;      ///< recycle a warm worker after N gremlins (0: never)
  double warmup_timeout_s = 60;
  std::uint32_t warmup_retries = 2;
  bool retry_crashed = true;        ///< a gremlin whose worker died is retried once
  /// A timeout is reported only after this many re-runs with a doubled limit also timed out
  /// (a loaded machine must not turn a slow pass into a detected gremlin).
  std::uint32_t timeout_confirmations = 1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_config& x) {
  return f(caf::meta::type_name("pool_config"), x.max_workers, x.timeout_s, x.method, x.warmup,
           x.batch_size, x.batch, x.executor, x.strategy, x.adaptive_timeout, x.timeout_factor,
           x.timeout_constant_ms, x.timeout_floor_ms, x.kill_grace_ms, x.max_restarts,
           x.max_reuse, x.warmup_timeout_s, x.warmup_retries, x.retry_crashed,
           x.timeout_confirmations);
}

/// A message naming the first bad field of `cfg`, or nullopt when it is valid.
std::optional<std::string> validate(const pool_config& cfg);

/// What to run for each gremlin and where.
struct command_spec {
  std::vector<std::string> argv;         ///< the test command (cold executor, baseline)
  std::vector<std::string> worker_argv;  ///< a warm worker speaking the worker protocol (docs/protocol.md) (empty: none)
  std::string rootdir;
  std::string instrumented_dir;          ///< exported as GREMLIN_INSTRUMENTED_DIR when set
  std::vector<std::pair<std::string, std::string>> env;  ///< --env K=V
  std::vector<std::int32_t> error_exit_codes{2, 3, 4, 5};  ///< other non-zero codes: zapped
  bool signal_is_error = false;          ///< a death by a foreign signal: error, not zapped
  std::uint32_t output_tail_bytes = 16 * 1024;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, command_spec& x) {
  return f(caf::meta::type_name("command_spec"), x.argv, x.worker_argv, x.rootdir,
           x.instrumented_dir, x.env, x.error_exit_codes, x.signal_is_error,
           x.output_tail_bytes);
}

}  // namespace gremlins
