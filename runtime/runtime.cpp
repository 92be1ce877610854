// The facade runs each phase of a run as: an aggregator (shared by the phases), a scheduler
// with its workers, and a blocking request from this (non-actor) thread that waits for the
// scheduler's answer. Every actor talks through the handles of messages/ only.

#include "runtime/runtime.hpp"

#include <csignal>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "actors/batch_scheduler.hpp"
#include "actors/cold_worker.hpp"
#include "actors/remote_slot.hpp"
#include "actors/result_aggregator.hpp"
#include "actors/warm_worker.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "messages/type_ids.hpp"
#include "runtime/rules/time_limits.hpp"
#include "runtime/process/runner.hpp"

namespace gremlins {

namespace {

bool has_manifest_data(const gremlin& g) {
  return !g.file.empty() || g.line > 0 || !g.operator_name.empty() || !g.description.empty() ||
         !g.original.empty() || !g.replacement.empty() || g.has_tests || g.is_static || g.zygote || g.tests_ms > 0 ||
         !g.fingerprint.empty();
}

// The caller's progress callback, for as long as run() has not returned. A progress message
// may still be in the forwarder's mailbox (or its callback running) when the run is over; the
// callback's owner is free to go once run() returns, so run() closes the gate first: the
// callback runs under the gate's lock, and never after it was closed.
struct progress_gate {
  std::mutex mx;
  progress_callback cb;  ///< empty once closed

  void deliver(const progress& p, const worker_result& r) {
    std::lock_guard<std::mutex> guard(mx);
    if (cb) cb(p, r);
  }
  /// Waits for a callback in progress, then lets none through.
  void close() {
    progress_callback gone;
    {
      std::lock_guard<std::mutex> guard(mx);
      gone = std::move(cb);
      cb = nullptr;
    }
  }  // `gone` (and what it holds) is destroyed outside the lock
};

progress_listener::behavior_type progress_forwarder(progress_listener::pointer,
                                                    std::shared_ptr<progress_gate> gate) {
  return {
    [gate](progress_atom, const progress& p, const worker_result& r) { gate->deliver(p, r); },
  };
}

}  // namespace

gremlin_runtime::gremlin_runtime(pool_config cfg, command_spec cmd)
    : gremlin_runtime(cfg, std::move(cmd), remote_config{}) {}

gremlin_runtime::gremlin_runtime(pool_config cfg, command_spec cmd, remote_config remote)
    : cfg_(cfg), cmd_(std::move(cmd)), remote_(std::move(remote)) {
  if (auto err = validate(cfg_)) throw std::invalid_argument(*err);
  if (remote_.enabled())
    if (auto why = tls_problem(remote_.tls)) throw std::invalid_argument(*why);
  runner_ = std::make_shared<process_runner>();
  sys_cfg_ = std::make_unique<caf::actor_system_config>();
  sys_cfg_->add_message_types<caf::id_block::gremlin_actors>();
  // The actors mostly wait for processes: a shared queue wakes a thread only when there is
  // work, where work stealing keeps idle threads polling (measured: ~3 ms CPU per warm gremlin).
  sys_cfg_->set("scheduler.policy", caf::atom("sharing"));
  sys_cfg_->set("scheduler.max-threads", std::max(2u, default_max_workers()));
  if (remote_.enabled()) {
    configure_remoting(*sys_cfg_, remote_.tls);  // the middleman, and TLS (docs/nodes.md)
    if (remote_.tls.enabled()) set_tls_log(remote_.log);
  }
  sys_ = std::make_unique<caf::actor_system>(*sys_cfg_);
}

std::vector<std::string> gremlin_runtime::connect_nodes(const std::vector<gremlin>& gremlins) {
  if (!remote_.enabled()) return {};
  return gremlins::connect_nodes(*sys_, remote_, cmd_, gremlins, nodes_);
}

gremlin_runtime::~gremlin_runtime() {
  nodes_.clear();
  sys_.reset();     // joins the actor threads: no worker can start a process any more
  runner_.reset();  // kills and reaps whatever is left
}

caf::actor_system& gremlin_runtime::system() { return *sys_; }

worker_result gremlin_runtime::run_baseline() {
  if (cmd_.argv.empty()) {
    // Only a warm worker: its warm-up (collection, imports) is the baseline check.
    return worker_result{"", status::survived, {}, 0, "no cold test command: baseline skipped"};
  }
  auto worker = spawn_cold_worker(*sys_, runner_, cmd_, cfg_, 0);
  gremlin none;
  none.timeout_ms = baseline_limit_ms(cfg_);
  worker_result out;
  caf::scoped_actor self{*sys_};
  self->request(worker, baseline_bound(cfg_), run_atom::value, none)
    .receive([&](worker_result& r) { out = std::move(r); },
             [&](caf::error& err) {
               out.verdict = status::error;
               out.error_output = "baseline: " + caf::to_string(err);
             });
  self->send_exit(worker, caf::exit_reason::user_shutdown);
  baseline_ms_ = out.execution_time_ms;
  return out;
}

double gremlin_runtime::time_limit_for(const gremlin& g, bool cold) const {
  return time_limit_ms(g, cfg_, baseline_ms_, cold);
}

pool_stats gremlin_runtime::run_phase(std::vector<gremlin> gs, bool warm, const aggregator_actor& agg) {
  scheduler_setup setup;
  setup.aggregator = agg;
  setup.cfg = cfg_;
  setup.workers = cfg_.max_workers;
  setup.executor = warm ? to_string(cfg_.executor) : "subprocess";
  auto runner = runner_;
  auto cmd = cmd_;
  auto cfg = cfg_;
  if (remote_.enabled()) {
    // Local slots first, then every node's that can run this phase (docs/nodes.md).
    auto plan = std::make_shared<slot_plan>(
        plan_slots(remote_.local_workers.value_or(cfg_.max_workers), nodes_, warm));
    setup.workers = static_cast<std::uint32_t>(plan->labels.size());
    setup.slot_nodes = plan->labels;
    if (setup.workers == 0) {
      auto why = std::string("not run: no worker can run it (no local worker, and no node offers ") +
                 (warm ? "a worker command)" : "a test command)");
      for (auto& g : gs) caf::anon_send(agg, add_error_atom::value, g.id, why);
      pool_stats none;
      none.executor = setup.executor;
      return none;
    }
    setup.make_worker = [runner, cmd, cfg, warm, plan](caf::actor_system& sys, std::uint32_t slot) {
      if (const auto* node = plan->node[slot])
        return spawn_remote_slot(sys, node->handle, node->where.text(), slot_request{warm, cfg});
      return warm ? spawn_warm_worker(sys, runner, cmd, cfg, slot) : spawn_cold_worker(sys, runner, cmd, cfg, slot);
    };
  } else if (warm)
    setup.make_worker = [runner, cmd, cfg](caf::actor_system& sys, std::uint32_t slot) {
      return spawn_warm_worker(sys, runner, cmd, cfg, slot);
    };
  else
    setup.make_worker = [runner, cmd, cfg](caf::actor_system& sys, std::uint32_t slot) {
      return spawn_cold_worker(sys, runner, cmd, cfg, slot);
    };
  auto sched = spawn_batch_scheduler(*sys_, setup);
  {
    std::lock_guard<std::mutex> guard(mx_);
    current_ = sched;
    if (stopped_) caf::anon_send(sched, stop_atom::value);
  }
  pool_stats stats;
  caf::scoped_actor self{*sys_};
  bool go = true;
  if (warm && cfg_.warmup) {
    self->request(sched, warmup_bound(cfg_, layer::facade), warmup_atom::value)
      .receive([&](pool_stats& s) { stats = std::move(s); },
               [&](caf::error& err) { stats.warmup_error = "warm-up: " + caf::to_string(err); });
    go = stats.warmup_completed > 0;
  }
  if (go) {
    auto bound = run_bound(gs, cfg_);
    self->request(sched, bound, run_atom::value, std::move(gs))
      .receive([&](pool_stats& s) { stats = std::move(s); },
               [&](caf::error& err) { stats.warmup_error = "scheduler: " + caf::to_string(err); });
  }
  {
    std::lock_guard<std::mutex> guard(mx_);
    current_ = nullptr;
  }
  self->send_exit(sched, caf::exit_reason::user_shutdown);
  return stats;
}

run_report gremlin_runtime::run(std::vector<gremlin> gremlins, progress_callback on_progress) {
  auto started = std::chrono::steady_clock::now();
  run_report report;
  report.rootdir = cmd_.rootdir;
  // Warm workers take the gremlins that can be switched on in a running process, and static
  // ones the manifest marks "zygote" (the worker imports the project afresh for them, with
  // the cold time limit); other static ones (and all without a worker command) run cold, last.
  bool warm = !cmd_.worker_argv.empty() && cfg_.executor != executor_kind::subprocess;
  for (auto& g : gremlins) {
    g.timeout_ms = static_cast<std::int64_t>(time_limit_for(g, !warm || g.is_static));
    // The reports need what the manifest said; a gremlin known by its id alone adds nothing
    // (and a million of them would cost a copy each).
    if (has_manifest_data(g)) report.gremlins.emplace(g.id, g);
  }
  auto agg = spawn_result_aggregator(*sys_, static_cast<std::uint32_t>(gremlins.size()));
  caf::scoped_actor self{*sys_};
  progress_listener listener;
  auto gate = std::make_shared<progress_gate>();
  gate->cb = std::move(on_progress);
  if (gate->cb) {
    listener = sys_->spawn(progress_forwarder, gate);
    self->request(agg, std::chrono::seconds(30), subscribe_atom::value, listener)
      .receive([](const progress&) {}, [](const caf::error&) {});
  }
  std::vector<gremlin> warm_set, cold_set;
  for (auto& g : gremlins)
    ((warm && (!g.is_static || g.zygote)) ? warm_set : cold_set).push_back(std::move(g));
  gremlins.clear();
  gremlins.shrink_to_fit();
  const bool had_warm = !warm_set.empty();
  if (had_warm) {
    // Only the ids stay here: the scheduler gets the gremlins (report.gremlins has them too).
    std::vector<std::string> warm_ids;
    warm_ids.reserve(warm_set.size());
    for (const auto& g : warm_set) warm_ids.push_back(g.id);
    report.pool = run_phase(std::move(warm_set), true, agg);
    if (report.pool.warmup_completed == 0 && !report.pool.warmup_error.empty()) {
      if (!cmd_.argv.empty()) {
        // Fall back to the cold executor: slower, but every gremlin still gets its verdict.
        std::vector<gremlin> fallback;
        fallback.reserve(warm_ids.size());
        for (const auto& id : warm_ids) {
          auto known = report.gremlins.find(id);
          gremlin g;
          if (known != report.gremlins.end()) g = known->second;
          else g.id = id;
          g.timeout_ms = static_cast<std::int64_t>(time_limit_for(g, true));
          fallback.push_back(std::move(g));
        }
        report.pool.executor = "subprocess";
        cold_set.insert(cold_set.begin(), std::make_move_iterator(fallback.begin()),
                        std::make_move_iterator(fallback.end()));
      } else {
        for (const auto& id : warm_ids)
          caf::anon_send(agg, add_error_atom::value, id, "not run: " + report.pool.warmup_error);
      }
    }
  }
  bool stopped_now;
  {
    std::lock_guard<std::mutex> guard(mx_);
    stopped_now = stopped_;
  }
  if (!cold_set.empty() && stopped_now) {
    // Interrupted during the warm phase: the cold phase does not start.
    for (auto& g : cold_set)
      caf::anon_send(agg, add_error_atom::value, g.id,
                     std::string("cancelled: the run was stopped before this gremlin started"));
  } else if (!cold_set.empty()) {
    if (cmd_.argv.empty()) {
      for (auto& g : cold_set)
        caf::anon_send(agg, add_error_atom::value, g.id,
                       std::string("not run: a static gremlin needs a fresh process, and no cold test command was given"));
    } else {
      auto cold = run_phase(std::move(cold_set), false, agg);
      if (!had_warm) {
        report.pool = cold;
      } else {
        report.pool.restarts += cold.restarts;
        report.pool.batches += cold.batches;
        report.pool.workers = std::max(report.pool.workers, cold.workers);
        for (const auto& n : cold.nodes) {  // with worker nodes: who ran what, over both phases
          auto it = std::find_if(report.pool.nodes.begin(), report.pool.nodes.end(),
                                 [&](const pool_node& x) { return x.address == n.address; });
          if (it == report.pool.nodes.end()) report.pool.nodes.push_back(n);
          else {
            it->workers = std::max(it->workers, n.workers);
            it->gremlins += n.gremlins;
          }
        }
      }
    }
  }
  self->request(agg, std::chrono::seconds(60), results_atom::value)
    .receive([&](std::vector<worker_result>& rs) { report.results = std::move(rs); },
             [&](caf::error&) {});
  self->send_exit(agg, caf::exit_reason::user_shutdown);
  if (listener) self->send_exit(listener, caf::exit_reason::user_shutdown);
  gate->close();  // nothing reaches on_progress after this
  {
    std::lock_guard<std::mutex> guard(mx_);
    report.interrupted = stopped_;
  }
  report.wall_ms =
    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return report;
}

void gremlin_runtime::stop() {
  std::lock_guard<std::mutex> guard(mx_);
  stopped_ = true;
  if (current_) caf::anon_send(current_, stop_atom::value);
  else runner_->kill_all(SIGTERM);  // the baseline, or whatever runs outside a scheduler
}

}  // namespace gremlins
