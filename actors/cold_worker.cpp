// A cold worker runs its gremlins one at a time, each in a new process group started by the
// process runner. Nothing here waits: the process's exit arrives as a proc_exit message, the
// time limit as a deadline message, and the SIGKILL that follows SIGTERM as a force_kill
// message. Messages carry the run's sequence number, so a late event of an earlier run is
// recognised and dropped.

#include "actors/cold_worker.hpp"

#include <csignal>
#include <deque>

#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "caf/typed_response_promise.hpp"
#include "actors/test_run.hpp"
#include "runtime/rules/classify.hpp"
#include "runtime/process/runner.hpp"

namespace gremlins {

namespace {

struct job {
  gremlin g;
  caf::typed_response_promise<worker_result> promise;
};

struct cold_state : worker_head {
  std::deque<job> queue;
  std::optional<job> current;
  std::uint64_t seq = 0;
  process_token token = 0;
  ended_by why = ended_by::itself;
  double limit_ms = 0;

  ~cold_state() {
    // The actor is going away (run over, or it failed): its process group goes with it.
    if (current && runner) runner->kill_group(token, SIGKILL);
  }
  static inline const char* name = "cold_worker";
};

using cold_pointer = worker_actor::stateful_pointer<cold_state>;

void start_next(cold_pointer self) {
  auto& st = self->state;
  if (st.current || st.queue.empty()) return;
  st.current = std::move(st.queue.front());
  st.queue.pop_front();
  auto seq = ++st.seq;
  st.why = ended_by::itself;
  st.limit_ms = st.current->g.timeout_ms > 0 ? st.current->g.timeout_ms : st.cfg.timeout_s * 1000;
  auto spec = cold_run_spec(st, st.current->g.id);
  auto me = caf::actor_cast<worker_actor>(self);
  process_callbacks cb;
  cb.on_exit = [me, seq](process_exit e) {
    caf::anon_send(me, proc_exit_atom::value, seq, std::move(e));
  };
  st.token = st.runner->start(std::move(spec), std::move(cb));
  self->delayed_send(self, std::chrono::microseconds(static_cast<long>(st.limit_ms * 1000)),
                     deadline_atom::value, seq);
}

worker_actor::behavior_type cold_worker(cold_pointer self, std::shared_ptr<process_runner> runner,
                                        command_spec cmd, pool_config cfg, std::uint32_t index) {
  self->state.runner = std::move(runner);
  self->state.cmd = std::move(cmd);
  self->state.cfg = cfg;
  self->state.index = index;
  return {
    [=](warmup_atom) { return warmup_report{true, 0, "subprocess", {}}; },
    [=](run_atom, gremlin& g) {
      auto rp = self->make_response_promise<worker_result>();
      self->state.queue.push_back(job{std::move(g), rp});
      start_next(self);
      return rp;
    },
    [=](proc_start_atom, std::uint64_t, std::int32_t) {},
    [=](proc_lines_atom, std::uint64_t, std::vector<std::string>&) {},
    [=](proc_overflow_atom, std::uint64_t) {},
    [=](proc_exit_atom, std::uint64_t seq, process_exit& e) {
      auto& st = self->state;
      if (!st.current || seq != st.seq) return;
      auto r = classify_cold(st.current->g.id, e, st.why, st.cmd, st.limit_ms);
      auto rp = st.current->promise;
      st.current.reset();
      rp.deliver(std::move(r));
      start_next(self);
    },
    [=](deadline_atom, std::uint64_t seq) {
      auto& st = self->state;
      if (!st.current || seq != st.seq) return;
      st.why = ended_by::time_limit;
      st.runner->kill_group(st.token, SIGTERM);
      self->delayed_send(self, std::chrono::microseconds(static_cast<long>(st.cfg.kill_grace_ms * 1000)),
                         force_kill_atom::value, seq);
    },
    [=](warmup_deadline_atom, std::uint64_t) {},
    [=](flush_atom) {},
    [=](force_kill_atom, std::uint64_t seq) {
      auto& st = self->state;
      if (st.current && seq == st.seq) st.runner->kill_group(st.token, SIGKILL);
    },
  };
}

}  // namespace

worker_actor spawn_cold_worker(caf::actor_system& sys, std::shared_ptr<process_runner> runner,
                               command_spec cmd, pool_config cfg, std::uint32_t index) {
  return sys.spawn(cold_worker, std::move(runner), std::move(cmd), cfg, index);
}

}  // namespace gremlins
