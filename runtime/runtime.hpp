#pragma once
// The embedding facade: what other C++ tools include to run gremlins with a pool_config and
// get the results and progress events. Those who want the actors themselves use the
// actor-level API: system(), runner(), and the spawn functions in actors/ with the
// interfaces in messages/.

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "messages/aggregator_actor.hpp"
#include "messages/gremlin.hpp"
#include "messages/pool_config.hpp"
#include "messages/progress.hpp"
#include "messages/scheduler_actor.hpp"
#include "messages/worker_result.hpp"
#include "runtime/formats/run_report.hpp"
#include "runtime/nodes.hpp"

namespace caf {
class actor_system;
class actor_system_config;
}  // namespace caf

namespace gremlins {

class process_runner;

/// Called after each recorded result, on an actor thread: keep it short. Never called once
/// `run` has returned (a late event is dropped), so what it uses may go right after.
using progress_callback = std::function<void(const progress&, const worker_result&)>;

/// One actor system, one process runner, any number of runs (one at a time).
class gremlin_runtime {
public:
  /// Refuses an invalid `cfg` with std::invalid_argument naming the field.
  gremlin_runtime(pool_config cfg, command_spec cmd);
  /// With worker nodes (docs/nodes.md): the actor system can reach them; connect_nodes() does.
  gremlin_runtime(pool_config cfg, command_spec cmd, remote_config remote);
  ~gremlin_runtime();
  gremlin_runtime(const gremlin_runtime&) = delete;
  gremlin_runtime& operator=(const gremlin_runtime&) = delete;

  /// Runs the tests once with no gremlin active: survived means it passed.
  /// Its wall time is the base of adaptive time limits.
  worker_result run_baseline();

  /// Tests every gremlin and returns one result per gremlin, sorted by id. Static gremlins
  /// (and all of them when there is no warm worker) run cold, after the others.
  run_report run(std::vector<gremlin> gremlins, progress_callback on_progress = {});

  /// Connects to the nodes of the remote config and checks that each tests what this runtime
  /// tests (its command, the sources `gremlins` name, its gremlin list); returns one refusal per
  /// node that is not used (empty: every node is). Runs then use their slots besides the local ones.
  std::vector<std::string> connect_nodes(const std::vector<gremlin>& gremlins);

  /// Stops a running `run` from any thread: running tests are killed, results so far kept.
  void stop();

  /// The time limit `run` gives `g`, in ms, in a warm worker or in a fresh process (`cold`).
  double time_limit_for(const gremlin& g, bool cold) const;

  /// Sets the base of adaptive time limits when the baseline ran elsewhere (an adapter's
  /// prepare step): the wall time of the whole suite in a fresh process.
  void set_baseline_ms(double ms) { baseline_ms_ = ms; }

  const pool_config& config() const { return cfg_; }
  const command_spec& command() const { return cmd_; }
  caf::actor_system& system();
  std::shared_ptr<process_runner> runner() { return runner_; }

private:
  pool_stats run_phase(std::vector<gremlin> gs, bool warm, const aggregator_actor& agg);

  pool_config cfg_;
  command_spec cmd_;
  remote_config remote_;
  std::vector<connected_node> nodes_;
  double baseline_ms_ = 0;
  std::shared_ptr<process_runner> runner_;
  std::unique_ptr<caf::actor_system_config> sys_cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::mutex mx_;
  scheduler_actor current_;
  bool stopped_ = false;
};

}  // namespace gremlins
