// A warm worker owns one worker process at a time and pipelines `run` requests to it; the
// process answers them in order, so the oldest unanswered request is the one running.
//
// Faults (docs/protocol.md, "Faults") are events here:
// - warm-up: no `ready` in time, an `error` event, or an exit during warm-up kill the process
//   and start another, up to cfg.warmup_retries more times; then the warm-up fails with the
//   worker's output and the actor quits with worker_exit::warmup_failed when it owes gremlins.
// - time limit: when the worker said `started`, only that child's process group is killed,
//   the gremlin is answered `timeout` and the worker stays warm (its late result for the
//   gremlin is dropped); otherwise the process is replaced and the unanswered rest resent.
// - the process dies mid-gremlin: the actor quits with worker_exit::process_died, so that the
//   scheduler blames that gremlin alone and hands the rest to a fresh worker.
// - a line that is not a valid event, or a result for the wrong gremlin: the gremlin in flight
//   is `error` with the line, and the actor quits with worker_exit::protocol_fault (no more
//   blame).
// Process events carry the process's sequence number: events of a replaced process are dropped.

#include "actors/warm_worker.hpp"

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
#include "runtime/rules/time_limits.hpp"
#include "runtime/process/runner.hpp"
#include "runtime/formats/worker_protocol.hpp"

namespace gremlins {

namespace {

using clock_type = std::chrono::steady_clock;

struct warm_job {
  gremlin g;
  caf::typed_response_promise<worker_result> promise;
  bool answered = false;      ///< answered `timeout`; the worker still owes its result line
  std::int64_t child_pgid = 0;
  std::chrono::steady_clock::time_point deadline{};  ///< set when it becomes the head
};

enum class phase { down, starting, ready, failed };

struct warm_state : worker_head {
  phase ph = phase::down;
  std::uint64_t proc = 0;
  process_token token = 0;
  bool have_process = false;
  clock_type::time_point started_at;
  std::uint32_t warmup_failures = 0;
  std::string warmup_problem;    ///< why the current warm-up attempt is being ended
  bool warmup_fatal = false;     ///< retrying cannot help (capabilities)
  std::vector<caf::typed_response_promise<warmup_report>> waiters;
  warmup_report report;
  executor_kind exec = executor_kind::fork;
  std::deque<warm_job> queue;
  std::deque<warm_job> in_flight;
  // One deadline message at a time, not one per gremlin: when it arrives early for the
  // head (the head it was set for was answered), it is sent again for the head's deadline.
  std::uint64_t timers = 0;      ///< the number of the deadline message that counts
  bool timer_armed = false;
  clock_type::time_point timer_at{};
  std::uint32_t served = 0;      ///< answered by the current process (max_reuse)
  int worker_pid = 0;            ///< the current process, once started
  std::deque<std::string> recent;  ///< ids the current process answered last (duplicates)
  bool retiring = false;         ///< shutdown sent: replace once it has exited
  bool flush_sent = false;       ///< a flush message is on its way to this actor

  void kill_children() {
    for (auto& j : in_flight)
      if (j.child_pgid > 0)
        process_runner::kill_descendant_group(static_cast<int>(j.child_pgid), worker_pid, SIGKILL);
  }
  ~warm_state() {
    if (!have_process || !runner) return;
    kill_children();
    if (in_flight.empty() && ph == phase::ready) {
      runner->write(token, protocol::encode_shutdown());
      runner->close_requests(token);
    } else {
      runner->kill_group(token, SIGKILL);
    }
  }
  static inline const char* name = "warm_worker";
};

using warm_pointer = worker_actor::stateful_pointer<warm_state>;

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

std::chrono::microseconds micros(double ms) {
  return std::chrono::microseconds(static_cast<long>(ms * 1000));
}

void flush(warm_pointer self);

// The ids the current process answered last, so that a duplicate result is recognised.
constexpr std::size_t recent_kept = 64;

void remember_answered(warm_state& st, const std::string& id) {
  st.recent.push_back(id);
  if (st.recent.size() > recent_kept) st.recent.pop_front();
}

bool is_recent(const warm_state& st, const std::string& id) {
  return std::find(st.recent.begin(), st.recent.end(), id) != st.recent.end();
}

void start_process(warm_pointer self) {
  auto& st = self->state;
  auto seq = ++st.proc;
  st.ph = phase::starting;
  st.served = 0;
  st.worker_pid = 0;
  st.recent.clear();
  st.retiring = false;
  st.warmup_problem.clear();
  st.started_at = clock_type::now();
  auto spec = warm_worker_spec(st, protocol::version);
  auto me = caf::actor_cast<worker_actor>(self);
  process_callbacks cb;
  cb.on_started = [me, seq](int pid) { caf::anon_send(me, proc_start_atom::value, seq, std::int32_t{pid}); };
  cb.on_reply_overflow = [me, seq] { caf::anon_send(me, proc_overflow_atom::value, seq); };
  cb.on_reply_lines = [me, seq](std::vector<std::string> lines) {
    caf::anon_send(me, proc_lines_atom::value, seq, std::move(lines));
  };
  cb.on_exit = [me, seq](process_exit e) {
    caf::anon_send(me, proc_exit_atom::value, seq, std::move(e));
  };
  st.token = st.runner->start(std::move(spec), std::move(cb));
  st.have_process = true;
  self->delayed_send(self, micros(st.cfg.warmup_timeout_s * 1000), warmup_deadline_atom::value, seq);
}

void answer_waiters(warm_pointer self) {
  for (auto& w : self->state.waiters) w.deliver(self->state.report);
  self->state.waiters.clear();
}

// Makes sure a deadline message arrives by `when`.
void arm_timer(warm_pointer self, clock_type::time_point when) {
  auto& st = self->state;
  if (st.timer_armed && st.timer_at <= when) return;
  st.timer_armed = true;
  st.timer_at = when;
  auto wait = std::chrono::duration_cast<std::chrono::microseconds>(when - clock_type::now());
  self->delayed_send(self, std::max(wait, std::chrono::microseconds(0)), deadline_atom::value, ++st.timers);
}

void arm_head(warm_pointer self) {
  auto& st = self->state;
  if (st.in_flight.empty()) return;
  auto& head = st.in_flight.front();
  // A worker may enforce timeout_ms itself and answer `timeout` while staying warm: give it
  // that chance before the runtime steps in. An answered head only waits for its late line.
  head.deadline = clock_type::now() + micros(warm_deadline_ms(head.g.timeout_ms, head.answered, st.cfg));
  arm_timer(self, head.deadline);
}

// Kills the process (and its forked children), drops what was already answered, and puts
// the rest back in front of the queue for a new process.
void replace_process(warm_pointer self) {
  auto& st = self->state;
  st.kill_children();
  if (st.have_process) st.runner->kill_group(st.token, SIGKILL);
  st.have_process = false;
  ++st.proc;
  for (auto it = st.in_flight.rbegin(); it != st.in_flight.rend(); ++it)
    if (!it->answered) st.queue.push_front(std::move(*it));
  st.in_flight.clear();
  st.ph = phase::down;
  if (!st.queue.empty()) start_process(self);
}

void quit_with(warm_pointer self, worker_exit why, const std::string& message) {
  auto& st = self->state;
  st.kill_children();
  if (st.have_process) st.runner->kill_group(st.token, SIGKILL);
  st.have_process = false;
  self->quit(make_error(why, message));
}

void broken(warm_pointer self, const std::string& reason, const std::string& line) {
  auto& st = self->state;
  auto text = "worker broke the protocol (" + reason + "): " + line.substr(0, 2000);
  if (!st.in_flight.empty() && !st.in_flight.front().answered) {
    auto& head = st.in_flight.front();
    head.promise.deliver(worker_result{head.g.id, status::error, {}, 0, text});
    head.answered = true;
  }
  quit_with(self, worker_exit::protocol_fault, text);
}

void warmup_failed(warm_pointer self, const std::string& why) {
  auto& st = self->state;
  ++st.warmup_failures;
  st.have_process = false;
  if (!st.warmup_fatal && st.warmup_failures <= st.cfg.warmup_retries) {
    start_process(self);
    return;
  }
  st.ph = phase::failed;
  st.report = warmup_report{false, 0, to_string(st.exec),
                            "warm-up of worker " + std::to_string(st.index) + " failed after " +
                              std::to_string(st.warmup_failures) + " attempt(s): " + why};
  answer_waiters(self);
  if (!st.queue.empty() || !st.in_flight.empty()) quit_with(self, worker_exit::warmup_failed, st.report.error);
}

void on_ready(warm_pointer self, const protocol::ready_event& e) {
  auto& st = self->state;
  auto offers = [&](const char* c) {
    return std::find(e.capabilities.begin(), e.capabilities.end(), c) != e.capabilities.end();
  };
  auto wanted = st.cfg.executor;
  if (wanted == executor_kind::auto_)
    wanted = offers("fork") ? executor_kind::fork : offers("inprocess") ? executor_kind::inprocess
                                                                          : executor_kind::auto_;
  if (wanted == executor_kind::auto_ || wanted == executor_kind::subprocess || !offers(to_string(wanted))) {
    st.warmup_fatal = true;
    st.warmup_problem = std::string("the worker offers neither the executor asked for (") +
                        to_string(st.cfg.executor) + ") nor a usable one";
    st.runner->kill_group(st.token, SIGKILL);
    return;
  }
  st.exec = wanted;
  st.ph = phase::ready;
  st.warmup_failures = 0;  // a later replacement process gets every attempt again
  st.report = warmup_report{true, ms_since(st.started_at), to_string(wanted), {}};
  answer_waiters(self);
  flush(self);
}

void on_result(warm_pointer self, protocol::result_event& e, const std::string& line) {
  auto& st = self->state;
  // A second result for a gremlin already answered is dropped: the gremlin in flight is not
  // to blame for it.
  if (is_recent(st, e.gremlin) && (st.in_flight.empty() || st.in_flight.front().g.id != e.gremlin)) return;
  if (st.in_flight.empty()) return broken(self, "a result with no gremlin in flight", line);
  // Checked before the head is moved out: broken() answers the head still in the queue.
  if (st.in_flight.front().g.id != e.gremlin)
    return broken(self, "result for gremlin '" + e.gremlin + "' while '" + st.in_flight.front().g.id +
                          "' is in flight", line);
  auto head = std::move(st.in_flight.front());
  st.in_flight.pop_front();
  ++st.served;
  remember_answered(st, head.g.id);
  st.runner->end_escaped(st.token);  // what this gremlin's tests left outside their group
  if (!head.answered)
    head.promise.deliver(worker_result{head.g.id, e.verdict, e.killing_test, e.ms, e.output});
  if (st.cfg.max_reuse > 0 && st.served >= st.cfg.max_reuse && st.in_flight.empty()) {
    // Recycled after max_reuse gremlins: a fresh process for whatever comes next.
    st.runner->write(st.token, protocol::encode_shutdown());
    st.runner->close_requests(st.token);
    st.retiring = true;
    self->delayed_send(self, micros(retire_grace_ms(st.cfg)), force_kill_atom::value, st.proc);
    return;
  }
  arm_head(self);
  flush(self);
}

void on_line(warm_pointer self, const std::string& line) {
  auto& st = self->state;
  if (st.ph == phase::starting && !st.warmup_problem.empty()) return;  // being killed already
  auto decoded = protocol::decode(line);
  if (auto* bad = std::get_if<protocol::bad_line>(&decoded)) {
    if (st.ph == phase::starting) {
      // Before ready nothing is in flight: a warm-up failure, reported with the line.
      st.warmup_problem = "the worker broke the protocol before ready (" + bad->reason + "): " + line.substr(0, 2000);
      st.runner->kill_group(st.token, SIGKILL);
      return;
    }
    return broken(self, bad->reason, line);
  }
  auto& ev = std::get<protocol::event>(decoded);
  if (auto* r = std::get_if<protocol::ready_event>(&ev)) {
    if (st.ph != phase::starting) return broken(self, "a second ready", line);
    return on_ready(self, *r);
  }
  if (auto* err = std::get_if<protocol::error_event>(&ev)) {
    if (st.ph == phase::starting) {
      st.warmup_problem = "the worker reported: " + err->message;
      st.runner->kill_group(st.token, SIGKILL);
      return;
    }
    return broken(self, "the worker reported an error", line);
  }
  if (st.ph == phase::starting) {
    // A valid event, but too early: the warm-up fails (and is retried), as for a bad line.
    st.warmup_problem = "the worker broke the protocol before ready (an event before ready): " + line.substr(0, 2000);
    st.runner->kill_group(st.token, SIGKILL);
    return;
  }
  if (st.ph != phase::ready) return broken(self, "an event before ready", line);
  if (auto* s = std::get_if<protocol::started_event>(&ev)) {
    if (st.in_flight.empty() || st.in_flight.front().g.id != s->gremlin)
      return broken(self, "started for a gremlin that is not in flight", line);
    // Only a process the worker forked, leading its own group, may ever be signalled.
    if (process_runner::is_foreign_group(static_cast<int>(s->pid), st.worker_pid))
      return broken(self, "started names pid " + std::to_string(s->pid) +
                            ", which is not a process-group leader descending from the worker (pid " +
                            std::to_string(st.worker_pid) + ")", line);
    st.in_flight.front().child_pgid = s->pid;
    return;
  }
  on_result(self, std::get<protocol::result_event>(ev), line);
}

void on_exit(warm_pointer self, process_exit& e) {
  auto& st = self->state;
  st.have_process = false;
  auto how = e.spawn_error.empty()
               ? (e.term_signal ? "killed by " + signal_name(e.term_signal)
                                : "exited with " + std::to_string(e.exit_code))
               : "could not start: " + e.spawn_error;
  if (st.ph == phase::starting) {
    auto why = st.warmup_problem.empty() ? "the worker " + how + " before ready" : st.warmup_problem;
    return warmup_failed(self, why + "\n--- worker output ---\n" + e.output);
  }
  if (!st.in_flight.empty() && !st.in_flight.front().answered)
    return quit_with(self, worker_exit::process_died,
                     "the worker " + how + " while testing this gremlin\n--- worker output ---\n" + e.output);
  // Nothing unanswered was running: a retired or idle process. Start afresh if needed.
  replace_process(self);
}

void flush(warm_pointer self) {
  auto& st = self->state;
  if (st.ph == phase::down && !st.queue.empty()) return start_process(self);
  if (st.ph != phase::ready || st.retiring) return;
  std::string out;
  bool was_idle = st.in_flight.empty();
  while (!st.queue.empty() &&
         (st.cfg.max_reuse == 0 || st.served + st.in_flight.size() < st.cfg.max_reuse)) {
    auto job = std::move(st.queue.front());
    st.queue.pop_front();
    out += protocol::encode_run(job.g, job.g.timeout_ms, st.exec);
    st.in_flight.push_back(std::move(job));
  }
  if (out.empty()) return;
  st.runner->write(st.token, std::move(out));
  if (was_idle) arm_head(self);
}

worker_actor::behavior_type warm_worker(warm_pointer self, std::shared_ptr<process_runner> runner,
                                        command_spec cmd, pool_config cfg, std::uint32_t index) {
  self->state.runner = std::move(runner);
  self->state.cmd = std::move(cmd);
  self->state.cfg = cfg;
  self->state.index = index;
  return {
    [=](warmup_atom) -> caf::result<warmup_report> {
      auto& st = self->state;
      if (st.ph == phase::ready || st.ph == phase::failed) return st.report;
      auto rp = self->make_response_promise<warmup_report>();
      st.waiters.push_back(rp);
      if (st.ph == phase::down) start_process(self);
      return rp;
    },
    [=](run_atom, gremlin& g) -> caf::result<worker_result> {
      auto& st = self->state;
      auto rp = self->make_response_promise<worker_result>();
      st.queue.push_back(warm_job{std::move(g), rp});
      if (st.ph == phase::failed) {
        quit_with(self, worker_exit::warmup_failed, st.report.error);
        return rp;
      }
      // The scheduler sends a whole batch at once: the message queued behind it writes all
      // of its requests with one write instead of one each.
      if (!st.flush_sent) {
        st.flush_sent = true;
        self->send(self, flush_atom::value);
      }
      return rp;
    },
    [=](flush_atom) {
      self->state.flush_sent = false;
      flush(self);
    },
    [=](proc_start_atom, std::uint64_t seq, std::int32_t pid) {
      if (seq == self->state.proc) self->state.worker_pid = pid;
    },
    [=](proc_overflow_atom, std::uint64_t seq) {
      auto& st = self->state;
      if (seq != st.proc || self->getf(caf::abstract_actor::is_terminated_flag)) return;
      auto why = "a reply line longer than " + std::to_string(process_runner::max_reply_line) +
                 " bytes without a newline";
      if (st.ph == phase::starting) {
        st.warmup_problem = "the worker broke the protocol before ready (" + why + ")";
        st.runner->kill_group(st.token, SIGKILL);
        return;
      }
      broken(self, why, "");
    },
    [=](proc_lines_atom, std::uint64_t seq, std::vector<std::string>& lines) {
      for (const auto& line : lines) {
        if (seq != self->state.proc || self->getf(caf::abstract_actor::is_terminated_flag)) return;
        on_line(self, line);
      }
    },
    [=](proc_exit_atom, std::uint64_t seq, process_exit& e) {
      if (seq == self->state.proc) on_exit(self, e);
    },
    [=](warmup_deadline_atom, std::uint64_t seq) {
      auto& st = self->state;
      if (seq != st.proc || st.ph != phase::starting) return;
      st.warmup_problem = "no ready within " + std::to_string(st.cfg.warmup_timeout_s) + " s";
      st.runner->kill_group(st.token, SIGKILL);
    },
    [=](deadline_atom, std::uint64_t timer) {
      auto& st = self->state;
      if (timer != st.timers) return;  // an earlier message, superseded by a sooner one
      st.timer_armed = false;
      if (st.in_flight.empty()) return;
      auto& head = st.in_flight.front();
      if (head.deadline == clock_type::time_point{}) return arm_head(self);
      if (clock_type::now() < head.deadline) return arm_timer(self, head.deadline);  // set for an earlier head
      if (head.answered) return replace_process(self);  // it never sent its late line
      worker_result timed_out{head.g.id, status::timeout, {}, static_cast<double>(head.g.timeout_ms),
                              "time limit of " + std::to_string(head.g.timeout_ms) + " ms exceeded"};
      // Without a forked child to kill, the whole worker process goes: a restart.
      timed_out.worker_replaced = head.child_pgid <= 0;
      head.promise.deliver(std::move(timed_out));
      head.answered = true;
      if (head.child_pgid > 0) {
        process_runner::kill_descendant_group(static_cast<int>(head.child_pgid), st.worker_pid, SIGKILL);
        arm_head(self);
      } else {
        replace_process(self);
      }
    },
    [=](force_kill_atom, std::uint64_t seq) {
      auto& st = self->state;
      if (seq == st.proc && st.retiring && st.have_process) st.runner->kill_group(st.token, SIGKILL);
    },
  };
}

}  // namespace

worker_actor spawn_warm_worker(caf::actor_system& sys, std::shared_ptr<process_runner> runner,
                               command_spec cmd, pool_config cfg, std::uint32_t index) {
  return sys.spawn(warm_worker, std::move(runner), std::move(cmd), cfg, index);
}

}  // namespace gremlins
