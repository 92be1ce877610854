// The scheduler owns the queue and supervises the workers. Each worker slot holds the
// gremlins it was sent and has not answered yet, oldest first; worker actors answer in
// order, so when a worker dies the oldest unanswered gremlin is the one it was running.
// That gremlin alone is blamed (retried once on a new worker; a gremlin that takes down two
// workers is an error); the rest of its batch is requeued untouched. Replacements are capped
// by cfg.max_restarts.
//
// A slot may live on a worker node (actors/remote_slot): its worker quits with the same
// reasons, plus worker_exit::node_lost when the node dies or its connection drops. A lost
// node is nobody's fault: what its slot held goes back to the queue unblamed, and the slot is
// not replaced (there is no node to replace it on); when no slot is left, the rest is `error`
// with the reason.
//
// Work reaches workers in one of two ways: `pull` (idle workers take the next unit from a
// shared queue) or a static assignment by pytest-gremlins' strategies (each slot owns a bucket).
// A unit is one gremlin, or a batch of batch_size gremlins whose requests are all sent at once.

#include "actors/batch_scheduler.hpp"

#include <deque>
#include <optional>

#include "caf/actor_system.hpp"
#include "caf/system_messages.hpp"
#include "caf/duration.hpp"
#include "caf/exit_reason.hpp"
#include "caf/sec.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "caf/typed_response_promise.hpp"
#include "runtime/rules/distribution.hpp"
#include "runtime/rules/time_limits.hpp"

namespace gremlins {

namespace {

// A queued gremlin: it points into scheduler_state::gremlins (which never changes while the
// run lasts), so a 100k-gremlin run holds one copy of each gremlin, not one per queue.
using clock_type = std::chrono::steady_clock;

struct work_item {
  const gremlin* g = nullptr;
  std::int64_t timeout_ms = 0;      ///< its time limit now (doubled to confirm a timeout)
  std::uint32_t attempts = 0;       ///< workers this gremlin has taken down
  std::uint32_t confirmations = 0;  ///< re-runs after a timeout
  std::int64_t first_limit_ms = 0;  ///< the limit of its first timed-out run
  clock_type::time_point deadline{};  ///< in flight: past it, its worker counts as silent
};

struct slot {
  worker_actor handle;
  std::deque<work_item> own;        ///< static assignment (round-robin, weighted)
  std::deque<work_item> in_flight;  ///< sent, not answered; oldest first
  bool alive = false;
  bool served = false;              ///< answered at least one gremlin
  bool lost = false;                ///< its node was lost: never replaced
  std::uint32_t answered = 0;       ///< results it gave, over all its workers (pool_stats::nodes)
};

struct scheduler_state {
  scheduler_setup setup;
  std::vector<slot> slots;
  std::vector<gremlin> gremlins;  ///< the run's runnable gremlins; work items point here
  std::deque<work_item> shared;  ///< pull mode
  std::uint32_t pending = 0;     ///< gremlins of this run without a result
  std::optional<caf::typed_response_promise<pool_stats>> done;
  std::optional<caf::typed_response_promise<pool_stats>> warming;  ///< the warm-up, until answered
  bool stopped = false;
  pool_stats stats;
  std::uint32_t respawns = 0;    ///< replacement worker actors (capped by max_restarts)
  bool finished = false;
  // The safety net on requests to workers: one deadline message at a time for every slot,
  // not a CAF request timeout per gremlin (each of which is a timer set and cancelled).
  bool watch_armed = false;
  clock_type::time_point watch_at{};
  std::uint64_t watch_seq = 0;  ///< the deadline message that counts
  ~scheduler_state() {
    // Workers live as long as their scheduler: a run's end (or an abandoned run) ends them.
    for (auto& s : slots)
      if (s.alive) caf::anon_send_exit(s.handle, caf::exit_reason::user_shutdown);
  }
  static inline const char* name = "batch_scheduler";
};

using sched_pointer = scheduler_actor::stateful_pointer<scheduler_state>;

void feed(sched_pointer self, std::size_t i);
void worker_failed(sched_pointer self, std::size_t i, const caf::actor_addr& who, const caf::error& why);

bool static_assignment(const scheduler_state& st) {
  return st.setup.cfg.strategy != distribution::pull;
}

void record(sched_pointer self, worker_result r) {
  self->send(self->state.setup.aggregator, add_result_atom::value, std::move(r));
}

void spawn_worker(sched_pointer self, std::size_t i) {
  auto& s = self->state.slots[i];
  s.handle = self->state.setup.make_worker(self->system(), static_cast<std::uint32_t>(i));
  s.alive = true;
  s.served = false;
  self->monitor(s.handle);
}

void finish(sched_pointer self) {
  auto& st = self->state;
  for (auto& s : st.slots) {
    if (!s.alive) continue;
    self->demonitor(s.handle.address());
    self->send_exit(s.handle, caf::exit_reason::user_shutdown);
    s.alive = false;
  }
  if (!st.setup.slot_nodes.empty()) {
    st.stats.nodes.clear();
    for (std::size_t i = 0; i < st.slots.size() && i < st.setup.slot_nodes.size(); ++i) {
      const auto& label = st.setup.slot_nodes[i];
      auto it = std::find_if(st.stats.nodes.begin(), st.stats.nodes.end(),
                             [&](const pool_node& n) { return n.address == label; });
      if (it == st.stats.nodes.end()) it = st.stats.nodes.insert(st.stats.nodes.end(), pool_node{label, 0, 0});
      ++it->workers;
      it->gremlins += st.slots[i].answered;
    }
  }
  st.done->deliver(st.stats);
}

// Finishes once the aggregator has every result: a request to it is answered only after
// the results sent before it were recorded.
void maybe_finish(sched_pointer self) {
  auto& st = self->state;
  if (st.finished || st.pending > 0 || !st.done) return;
  st.finished = true;
  self->request(st.setup.aggregator, std::chrono::seconds(60), progress_atom::value)
    .then([=](const progress&) { finish(self); }, [=](const caf::error&) { finish(self); });
}

void on_result(sched_pointer self, std::size_t i, const caf::actor_addr& who, worker_result r) {
  auto& s = self->state.slots[i];
  if (s.handle.address() != who) return;  // the slot moved on; this worker was replaced
  auto it = std::find_if(s.in_flight.begin(), s.in_flight.end(),
                         [&](const work_item& w) { return w.g->id == r.gremlin_id; });
  if (it == s.in_flight.end()) return;
  auto& st = self->state;
  if (r.worker_replaced) ++st.stats.restarts;
  if (r.verdict == status::timeout && it->confirmations < st.setup.cfg.timeout_confirmations) {
    // Confirmed before it counts as detected: once more, first in line, with twice the limit.
    auto item = std::move(*it);
    s.in_flight.erase(it);
    if (item.confirmations == 0) item.first_limit_ms = item.timeout_ms;
    ++item.confirmations;
    item.timeout_ms = confirmation_limit_ms(item.timeout_ms);
    auto& queue = static_assignment(st) ? s.own : st.shared;
    queue.push_front(std::move(item));
    feed(self, i);
    return;
  }
  if (r.verdict == status::timeout && it->confirmations > 0)
    r.error_output += "; confirmed: the first run also exceeded its limit of " +
                      std::to_string(it->first_limit_ms) + " ms";
  s.in_flight.erase(it);
  s.served = true;
  ++s.answered;
  record(self, std::move(r));
  --self->state.pending;
  maybe_finish(self);
  feed(self, i);
}

// Makes sure a deadline message arrives by `when`.
void arm_watch(sched_pointer self, clock_type::time_point when) {
  auto& st = self->state;
  if (st.watch_armed && st.watch_at <= when) return;
  st.watch_armed = true;
  st.watch_at = when;
  auto wait = std::chrono::duration_cast<std::chrono::microseconds>(when - clock_type::now());
  self->delayed_send(self, std::max(wait, std::chrono::microseconds(0)), deadline_atom::value, ++st.watch_seq);
}

// A slot's oldest request waited past its bound: the worker is silent, a failure. Then the
// message is sent again for the soonest bound still ahead.
void on_watch(sched_pointer self, std::uint64_t seq) {
  auto& st = self->state;
  if (seq != st.watch_seq) return;  // an earlier message, superseded by a sooner one
  st.watch_armed = false;
  if (st.finished) return;
  auto now = clock_type::now();
  for (std::size_t i = 0; i < st.slots.size(); ++i) {
    auto& s = st.slots[i];
    // In flight is one unit, sent at once with growing bounds: its oldest is due first.
    if (s.alive && !s.in_flight.empty() && s.in_flight.front().deadline <= now)
      worker_failed(self, i, s.handle.address(), caf::make_error(caf::sec::request_timeout));
  }
  std::optional<clock_type::time_point> next;
  for (auto& s : st.slots)
    if (s.alive && !s.in_flight.empty() && (!next || s.in_flight.front().deadline < *next))
      next = s.in_flight.front().deadline;
  if (next) arm_watch(self, *next);
}

void dispatch(sched_pointer self, std::size_t i, std::vector<work_item> unit) {
  auto& st = self->state;
  auto& s = st.slots[i];
  auto who = s.handle.address();
  auto now = clock_type::now();
  double queued_ms = 0;
  for (auto& w : unit) {
    // A pipelined request waits for those before it: its safety-net deadline covers them too.
    gremlin asked = *w.g;
    asked.timeout_ms = w.timeout_ms;
    queued_ms += queued_cost_ms(asked, st.setup.cfg);
    w.deadline = now + request_bound(queued_ms, st.setup.cfg);
    auto id = asked.id;
    s.in_flight.push_back(w);
    // No timeout on the request itself: on_watch is the safety net.
    self->request(s.handle, caf::infinite, run_atom::value, std::move(asked))
      .then(
        [=](worker_result& r) {
          r.gremlin_id = id;  // the answer is for what was asked
          on_result(self, i, who, std::move(r));
        },
        [](const caf::error&) {
          // A dead worker is handled by its down message, a silent one by on_watch.
        });
  }
  if (!s.in_flight.empty()) arm_watch(self, s.in_flight.front().deadline);
  if (st.setup.cfg.batch) ++st.stats.batches;
}

void feed(sched_pointer self, std::size_t i) {
  auto& st = self->state;
  auto& s = st.slots[i];
  if (!s.alive || !s.in_flight.empty() || st.finished) return;
  auto& queue = static_assignment(st) ? s.own : st.shared;
  if (queue.empty()) return;
  std::size_t n = st.setup.cfg.batch ? st.setup.cfg.batch_size : 1;
  std::vector<work_item> unit;
  while (!queue.empty() && unit.size() < n) {
    unit.push_back(std::move(queue.front()));
    queue.pop_front();
  }
  dispatch(self, i, std::move(unit));
}

std::string reason_text(const caf::error& why) {
  if (why.category() == caf::atom("gremlins") && !why.context().empty() &&
      why.context().match_element<std::string>(0))
    return why.context().get_as<std::string>(0);
  return "worker actor failed: " + caf::to_string(why);
}

// Gives what a dead slot held to the live ones, or errors it when no slot is left.
void orphan_work(sched_pointer self, std::deque<work_item> items, const std::string& why) {
  auto& st = self->state;
  for (auto& w : items) {
    auto target = std::find_if(st.slots.begin(), st.slots.end(), [](const slot& s) { return s.alive; });
    if (target == st.slots.end()) {
      record(self, worker_result{w.g->id, status::error, {}, 0, why});
      --st.pending;
    } else if (static_assignment(st)) {
      target->own.push_back(std::move(w));
    } else {
      st.shared.push_back(std::move(w));
    }
  }
}

void worker_failed(sched_pointer self, std::size_t i, const caf::actor_addr& who, const caf::error& why) {
  auto& st = self->state;
  auto& s = st.slots[i];
  if (st.finished || !s.alive || s.handle.address() != who) return;
  self->demonitor(s.handle.address());
  self->send_exit(s.handle, caf::exit_reason::kill);
  s.alive = false;
  auto items = std::move(s.in_flight);
  s.in_flight.clear();
  // A recycled worker answered what it owed; a worker that broke the protocol answered the
  // gremlin in flight itself; a worker that never warmed up ran nothing.
  auto is = [&](worker_exit x) {
    return why.category() == caf::atom("gremlins") && why.code() == static_cast<std::uint8_t>(x);
  };
  bool lost = is(worker_exit::node_lost);
  bool blame = !(is(worker_exit::recycled) || is(worker_exit::protocol_fault) ||
                 is(worker_exit::warmup_failed) || lost);
  auto text = reason_text(why);
  auto& queue = static_assignment(st) ? s.own : st.shared;
  // The untouched rest of the batch goes back first, in order; the blamed one in front of it.
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    bool blamed = blame && it == std::prev(items.rend());
    if (blamed && (++it->attempts >= 2 || !st.setup.cfg.retry_crashed)) {
      auto msg = it->attempts >= 2 ? "took down two workers; last: " + text : text;
      record(self, worker_result{it->g->id, status::error, {}, 0, msg});
      --st.pending;
      continue;
    }
    queue.push_front(std::move(*it));
  }
  if (lost) {
    s.lost = true;  // no node to start a replacement on; the others take over
    if (static_assignment(st)) {
      orphan_work(self, std::move(s.own), "no worker left: " + text);
      s.own.clear();
    }
  } else if (st.respawns < st.setup.cfg.max_restarts) {
    ++st.respawns;
    ++st.stats.restarts;
    spawn_worker(self, i);
  } else if (static_assignment(st)) {
    orphan_work(self, std::move(s.own), "no worker left: restart limit (" +
                std::to_string(st.setup.cfg.max_restarts) + ") reached; last failure: " + text);
    s.own.clear();
  }
  if (std::none_of(st.slots.begin(), st.slots.end(), [](const slot& x) { return x.alive; }))
    orphan_work(self, std::exchange(st.shared, {}),
                lost ? "no worker left: " + text
                     : "no worker left: restart limit (" + std::to_string(st.setup.cfg.max_restarts) +
                           ") reached; last failure: " + text);
  maybe_finish(self);
  for (std::size_t k = 0; k < st.slots.size(); ++k) feed(self, k);
}

void ensure_workers(sched_pointer self) {
  auto& st = self->state;
  if (!st.slots.empty()) return;
  st.slots.resize(std::max<std::uint32_t>(1, st.setup.workers));
  for (std::size_t i = 0; i < st.slots.size(); ++i) spawn_worker(self, i);
  st.stats.workers = static_cast<std::uint32_t>(st.slots.size());
}

void enqueue(sched_pointer self, std::vector<gremlin> gs) {
  auto& st = self->state;
  st.gremlins.reserve(gs.size());
  for (auto& g : gs) {
    if (g.has_tests && g.tests.empty()) {
      record(self, worker_result{g.id, status::no_coverage, {}, 0, "no test covers this gremlin"});
      continue;
    }
    st.gremlins.push_back(std::move(g));
  }
  gs.clear();
  gs.shrink_to_fit();
  st.pending = static_cast<std::uint32_t>(st.gremlins.size());
  auto parts = distribute_indices(st.setup.cfg.strategy, st.gremlins, st.slots.size());
  for (std::size_t b = 0; b < parts.size(); ++b) {
    auto& queue = static_assignment(st) ? st.slots[b].own : st.shared;
    for (auto i : parts[b]) queue.push_back(work_item{&st.gremlins[i], st.gremlins[i].timeout_ms});
  }
}

scheduler_actor::behavior_type batch_scheduler(sched_pointer self, scheduler_setup setup) {
  self->state.setup = std::move(setup);
  self->state.stats.executor = self->state.setup.executor;
  self->state.stats.start_method = to_string(self->state.setup.cfg.method == start_method::auto_
                                               ? get_optimal_start_method()
                                               : self->state.setup.cfg.method);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& slots = self->state.slots;
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i].alive && slots[i].handle.address() == dm.source) {
        auto why = dm.reason ? dm.reason : make_error(worker_exit::process_died,
                                                           "worker actor exited unexpectedly");
        worker_failed(self, i, dm.source, why);
      }
  });
  return {
    [=](warmup_atom) {
      ensure_workers(self);
      auto rp = self->make_response_promise<pool_stats>();
      auto answered = std::make_shared<std::size_t>(0);
      auto& st = self->state;
      st.warming = rp;
      // Answered once: when every worker has answered, or at once when the run is stopped
      // (killed workers never answer a warm-up they had accepted).
      auto answer = [=]() mutable {
        auto& state = self->state;
        if (!state.warming) return;
        state.stats.is_warmed_up = state.stats.warmup_completed == state.slots.size();
        state.warming->deliver(state.stats);
        state.warming.reset();
      };
      auto limit = warmup_bound(st.setup.cfg, layer::scheduler);
      for (auto& s : st.slots) {
        self->request(s.handle, limit, warmup_atom::value)
          .then(
            [=](const warmup_report& rep) mutable {
              auto& stats = self->state.stats;
              if (rep.warm) {
                ++stats.warmup_completed;
                stats.executor = rep.executor;
              }
              else if (stats.warmup_error.empty()) stats.warmup_error = rep.error;
              if (++*answered == self->state.slots.size()) answer();
            },
            [=](const caf::error& err) mutable {
              auto& stats = self->state.stats;
              if (stats.warmup_error.empty()) stats.warmup_error = "warm-up: " + caf::to_string(err);
              if (++*answered == self->state.slots.size()) answer();
            });
      }
      return rp;
    },
    [=](run_atom, std::vector<gremlin>& gs) -> caf::result<pool_stats> {
      auto& st = self->state;
      if (st.done) return caf::make_error(caf::sec::runtime_error, "a scheduler runs once");
      if (st.stopped) {
        for (auto& g : gs) record(self, worker_result{g.id, status::error, {}, 0,
                                                      "cancelled: the run was stopped before this gremlin started"});
        return st.stats;
      }
      ensure_workers(self);
      st.done = self->make_response_promise<pool_stats>();
      enqueue(self, std::move(gs));
      if (std::none_of(st.slots.begin(), st.slots.end(), [](const slot& x) { return x.alive; })) {
        // Every slot went before the run began (a node lost during warm-up, say).
        const std::string why = "no worker left: every worker slot was lost before the run began";
        for (auto& s : st.slots) orphan_work(self, std::exchange(s.own, {}), why);
        orphan_work(self, std::exchange(st.shared, {}), why);
      }
      for (std::size_t i = 0; i < st.slots.size(); ++i) feed(self, i);
      maybe_finish(self);
      return *st.done;
    },
    [=](deadline_atom, std::uint64_t seq) { on_watch(self, seq); },
    [=](stop_atom) {
      // Nothing is dropped: what was running or waiting is recorded as cancelled.
      auto& st = self->state;
      auto cancel = [&](std::deque<work_item>& q, const char* why) {
        for (auto& w : q) record(self, worker_result{w.g->id, status::error, {}, 0, why});
        q.clear();
      };
      cancel(st.shared, "cancelled: the run was stopped before this gremlin started");
      for (auto& s : st.slots) {
        cancel(s.own, "cancelled: the run was stopped before this gremlin started");
        cancel(s.in_flight, "cancelled: the run was stopped while this gremlin was running");
        if (s.alive) {
          self->demonitor(s.handle.address());
          self->send_exit(s.handle, caf::exit_reason::kill);
        }
        s.alive = false;
      }
      st.pending = 0;
      st.stopped = true;
      if (st.warming) {
        if (st.stats.warmup_error.empty()) st.stats.warmup_error = "the run was stopped during the warm-up";
        st.warming->deliver(st.stats);
        st.warming.reset();
      }
      maybe_finish(self);
    },
  };
}

}  // namespace

scheduler_actor spawn_batch_scheduler(caf::actor_system& sys, scheduler_setup setup) {
  return sys.spawn(batch_scheduler, std::move(setup));
}

}  // namespace gremlins
