// The batch scheduler in a real actor system with FAKE workers behind scheduler_setup's
// make_worker: each fake records what it was sent (which slot, which incarnation), answers in
// order, can hold its requests to show how many are outstanding at once, and can die
// mid-gremlin (quitting with worker_exit::process_died) as a worker whose process crashed does.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "actors/batch_scheduler.hpp"
#include "actors/result_aggregator.hpp"
#include "caf/actor_cast.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/response_promise.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"
#include "caf/stateful_actor.hpp"
#include "messages/type_ids.hpp"

using namespace gremlins;
using namespace std::chrono_literals;

namespace {

using flush_atom = caf::atom_constant<caf::atom("flush")>;

/// How the fake workers behave.
struct fake_plan {
  /// Answer once this many requests are outstanding (else after `flush_after`).
  std::size_t gather = 1;
  std::chrono::milliseconds flush_after{200};
  /// Extra time before answering, by slot.
  std::function<std::chrono::milliseconds(std::uint32_t slot)> delay = [](std::uint32_t) { return 0ms; };
  /// Whether running `id` kills the worker, given how often it was run before.
  std::function<bool(const std::string& id, int runs_before)> crashes = [](const std::string&, int) {
    return false;
  };
};

/// What the fake workers saw; shared with the test thread.
struct fake_log {
  struct arrival {
    std::uint32_t slot;
    int instance;
    std::string id;
  };
  std::mutex m;
  std::vector<arrival> arrivals;
  std::map<std::string, int> runs;  // executed (answered or crashed on), by id
  std::map<int, std::size_t> max_outstanding;
  int instances = 0;
  std::vector<caf::actor> workers;  // every fake spawned, to be sure each one ends

  std::vector<std::string> ids_of_slot(std::uint32_t slot) {
    std::lock_guard<std::mutex> g(m);
    std::vector<std::string> out;
    for (const auto& a : arrivals)
      if (a.slot == slot) out.push_back(a.id);
    return out;
  }
  std::size_t arrivals_of(const std::string& id) {
    std::lock_guard<std::mutex> g(m);
    std::size_t n = 0;
    for (const auto& a : arrivals) n += a.id == id;
    return n;
  }
};

struct pending_run {
  std::string id;
  caf::response_promise promise;
};

struct fake_state {
  std::vector<pending_run> pending;
  std::uint64_t generation = 0;
  int instance = 0;
  static inline const char* name = "fake_worker";
};

// Answers (or dies on) every pending request, oldest first.
void answer_pending(caf::stateful_actor<fake_state>* self, const fake_plan& plan,
                    const std::shared_ptr<fake_log>& log) {
  auto batch = std::move(self->state.pending);
  self->state.pending.clear();
  for (auto& p : batch) {
    int before;
    {
      std::lock_guard<std::mutex> g(log->m);
      before = log->runs[p.id]++;
    }
    if (plan.crashes(p.id, before)) {
      self->quit(make_error(worker_exit::process_died, "fake worker died running " + p.id));
      return;
    }
    worker_result r{p.id, status::zapped, "instance-" + std::to_string(self->state.instance), 1, {}};
    p.promise.deliver(std::move(r));
  }
}

caf::behavior fake_worker(caf::stateful_actor<fake_state>* self, std::uint32_t slot, fake_plan plan,
                          std::shared_ptr<fake_log> log) {
  {
    std::lock_guard<std::mutex> g(log->m);
    self->state.instance = ++log->instances;
  }
  return {
    [=](warmup_atom) { return warmup_report{true, 0, "fake", {}}; },
    [=](run_atom, const gremlin& g) {
      auto& st = self->state;
      st.pending.push_back(pending_run{g.id, self->make_response_promise()});
      {
        std::lock_guard<std::mutex> lock(log->m);
        log->arrivals.push_back({slot, st.instance, g.id});
        auto& mx = log->max_outstanding[st.instance];
        mx = std::max(mx, st.pending.size());
      }
      // A new generation makes earlier flush timers stale.
      if (st.pending.size() >= plan.gather)
        self->delayed_send(self, plan.delay(slot), flush_atom::value, ++st.generation);
      else if (st.pending.size() == 1)
        self->delayed_send(self, plan.flush_after + plan.delay(slot), flush_atom::value, ++st.generation);
    },
    [=](flush_atom, std::uint64_t gen) {
      if (gen == self->state.generation) answer_pending(self, plan, log);
    },
  };
}

struct scheduler_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<fake_log> log = std::make_shared<fake_log>();
  fake_plan plan;
  pool_config pool;
  std::uint32_t workers = 1;

  std::vector<caf::actor> spawned;

  scheduler_fixture() {
    cfg.add_message_types<caf::id_block::gremlin_actors>();
    sys = std::make_unique<caf::actor_system>(cfg);
    pool.max_restarts = 16;
  }
  // The actor system waits for every actor at its end: a failed check must not leave one
  // behind (a fake with a pending timer would hold it up for as long as that timer).
  ~scheduler_fixture() {
    {
      std::lock_guard<std::mutex> g(log->m);
      for (auto& w : log->workers) spawned.push_back(w);
      log->workers.clear();
    }
    for (auto& h : spawned) caf::anon_send_exit(h, caf::exit_reason::kill);
    spawned.clear();
    sys.reset();
  }

  template <class Handle>
  void track(const Handle& h) {
    spawned.push_back(caf::actor_cast<caf::actor>(h));
  }

  std::function<worker_actor(caf::actor_system&, std::uint32_t)> worker_factory() {
    auto p = plan;
    auto l = log;
    return [p, l](caf::actor_system& s, std::uint32_t slot) {
      auto h = s.spawn(fake_worker, slot, p, l);
      std::lock_guard<std::mutex> g(l->m);
      l->workers.push_back(h);
      return caf::actor_cast<worker_actor>(h);
    };
  }

  struct outcome {
    pool_stats stats;
    std::map<std::string, worker_result> results;
    std::size_t result_count = 0;
  };

  /// Runs `gs` through a scheduler with fake workers; every result as the aggregator has it.
  outcome run(std::vector<gremlin> gs) {
    auto agg = spawn_result_aggregator(*sys, static_cast<std::uint32_t>(gs.size()));
    scheduler_setup setup;
    setup.aggregator = agg;
    setup.cfg = pool;
    setup.workers = workers;
    setup.executor = "fake";
    setup.make_worker = worker_factory();
    auto sched = spawn_batch_scheduler(*sys, setup);
    track(sched);
    track(agg);
    outcome out;
    caf::scoped_actor self{*sys};
    self->request(sched, std::chrono::seconds(60), run_atom::value, std::move(gs))
      .receive([&](pool_stats& s) { out.stats = std::move(s); },
               [&](caf::error& err) { FAIL("scheduler: " << caf::to_string(err)); });
    self->request(agg, std::chrono::seconds(30), results_atom::value)
      .receive(
        [&](std::vector<worker_result>& rs) {
          out.result_count = rs.size();
          for (auto& r : rs) out.results[r.gremlin_id] = r;
        },
        [&](caf::error& err) { FAIL("aggregator: " << caf::to_string(err)); });
    self->send_exit(sched, caf::exit_reason::user_shutdown);
    self->send_exit(agg, caf::exit_reason::user_shutdown);
    return out;
  }
};

std::vector<gremlin> named(std::size_t n) {
  std::vector<gremlin> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(gremlin{"g" + std::to_string(i)});
  return out;
}

gremlin with_tests(const std::string& id, std::size_t n) {
  gremlin g{id};
  g.has_tests = true;
  for (std::size_t i = 0; i < n; ++i) g.tests.push_back("t" + std::to_string(i));
  return g;
}

}  // namespace

TEST_CASE_METHOD(scheduler_fixture, "scheduler: every gremlin is run once and gets one result",
                 "[scheduler]") {
  workers = 3;
  auto gs = named(60);
  auto out = run(gs);
  CHECK(out.result_count == 60);
  for (const auto& g : gs) {
    INFO(g.id);
    CHECK(log->arrivals_of(g.id) == 1);
    REQUIRE(out.results.count(g.id) == 1);
    CHECK(out.results[g.id].verdict == status::zapped);
  }
  CHECK(log->instances == 3);
  CHECK(out.stats.workers == 3);
  CHECK(out.stats.restarts == 0);
  CHECK(out.stats.executor == "fake");
  for (auto& [instance, mx] : log->max_outstanding) CHECK(mx == 1);  // one at a time
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: pull lets the idle worker take the next gremlin",
                 "[scheduler]") {
  workers = 2;
  pool.strategy = distribution::pull;
  plan.delay = [](std::uint32_t slot) { return slot == 0 ? 1500ms : 0ms; };
  auto out = run(named(6));
  CHECK(out.result_count == 6);
  // Slot 0 is busy with g0 the whole time; slot 1 takes everything else.
  CHECK(log->ids_of_slot(0) == std::vector<std::string>{"g0"});
  CHECK(log->ids_of_slot(1) == std::vector<std::string>{"g1", "g2", "g3", "g4", "g5"});
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: round-robin assigns gremlin N to slot N mod W",
                 "[scheduler]") {
  workers = 2;
  pool.strategy = distribution::round_robin;
  plan.delay = [](std::uint32_t slot) { return slot == 0 ? 100ms : 0ms; };  // no stealing
  auto out = run(named(5));
  CHECK(out.result_count == 5);
  CHECK(log->ids_of_slot(0) == std::vector<std::string>{"g0", "g2", "g4"});
  CHECK(log->ids_of_slot(1) == std::vector<std::string>{"g1", "g3"});
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: weighted balances covering tests greedily",
                 "[scheduler]") {
  workers = 2;
  pool.strategy = distribution::weighted;
  auto out = run({with_tests("g0", 100), with_tests("g1", 100), with_tests("g2", 10), with_tests("g3", 10)});
  CHECK(out.result_count == 4);
  CHECK(log->ids_of_slot(0) == std::vector<std::string>{"g0", "g2"});
  CHECK(log->ids_of_slot(1) == std::vector<std::string>{"g1", "g3"});
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: batch mode sends whole batches at once", "[scheduler]") {
  workers = 1;
  pool.batch = true;
  pool.batch_size = 10;
  plan.gather = 10;
  auto out = run(named(25));
  CHECK(out.result_count == 25);
  REQUIRE(log->max_outstanding.count(1) == 1);
  CHECK(log->max_outstanding[1] == 10);  // the worker held 10 unanswered requests
  CHECK(out.stats.batches == 3);         // 10 + 10 + 5
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: without batch mode one request is outstanding",
                 "[scheduler]") {
  workers = 1;
  pool.batch = false;
  plan.gather = 10;
  plan.flush_after = 10ms;
  auto out = run(named(5));
  CHECK(out.result_count == 5);
  CHECK(log->max_outstanding[1] == 1);
  CHECK(out.stats.batches == 0);
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: a gremlin whose worker died is retried once on a new worker",
                 "[scheduler]") {
  workers = 1;
  plan.crashes = [](const std::string& id, int before) { return id == "g1" && before == 0; };
  auto out = run(named(3));
  CHECK(out.result_count == 3);
  CHECK(out.stats.restarts == 1);
  CHECK(log->instances == 2);
  CHECK(out.results["g0"].killing_test == "instance-1");
  CHECK(out.results["g1"].verdict == status::zapped);
  CHECK(out.results["g1"].killing_test == "instance-2");
  CHECK(out.results["g2"].killing_test == "instance-2");
  CHECK(log->arrivals_of("g1") == 2);
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: a gremlin that takes down two workers is an error",
                 "[scheduler]") {
  workers = 1;
  plan.crashes = [](const std::string& id, int) { return id == "g1"; };
  auto out = run(named(3));
  CHECK(out.result_count == 3);
  CHECK(out.results["g0"].verdict == status::zapped);
  CHECK(out.results["g1"].verdict == status::error);
  CHECK_THAT(out.results["g1"].error_output, Catch::Contains("two workers"));
  CHECK_THAT(out.results["g1"].error_output, Catch::Contains("fake worker died running g1"));
  CHECK(out.results["g2"].verdict == status::zapped);
  CHECK(out.results["g2"].killing_test == "instance-3");
  CHECK(log->arrivals_of("g1") == 2);  // not a third time
  CHECK(out.stats.restarts == 2);
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: a crash mid-batch blames one gremlin, the batch goes on",
                 "[scheduler]") {
  workers = 1;
  pool.batch = true;
  pool.batch_size = 4;
  plan.gather = 4;
  plan.crashes = [](const std::string& id, int before) { return id == "g1" && before == 0; };
  auto out = run(named(4));
  CHECK(out.result_count == 4);
  CHECK(out.results["g0"].killing_test == "instance-1");  // answered before the crash
  for (auto id : {"g1", "g2", "g3"}) {
    INFO(id);
    CHECK(out.results[id].verdict == status::zapped);
    CHECK(out.results[id].killing_test == "instance-2");
  }
  CHECK(log->arrivals_of("g0") == 1);
  CHECK(log->arrivals_of("g2") == 2);  // sent to both, run by the second only
  std::lock_guard<std::mutex> g(log->m);
  CHECK(log->runs["g2"] == 1);
  CHECK(log->runs["g3"] == 1);
  CHECK(out.stats.restarts == 1);
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: restarts are capped and counted", "[scheduler]") {
  workers = 1;
  pool.max_restarts = 1;
  plan.crashes = [](const std::string& id, int) { return id == "g0"; };
  auto out = run(named(3));
  CHECK(out.result_count == 3);
  CHECK(out.stats.restarts == 1);
  CHECK(log->instances == 2);
  CHECK(out.results["g0"].verdict == status::error);
  for (auto id : {"g1", "g2"}) {
    INFO(id);
    CHECK(out.results[id].verdict == status::error);
    CHECK_THAT(out.results[id].error_output, Catch::Contains("restart limit (1)"));
    CHECK(log->arrivals_of(id) == 0);
  }
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: when one slot runs out of restarts the others take its work",
                 "[scheduler]") {
  workers = 2;
  pool.max_restarts = 1;
  pool.strategy = distribution::round_robin;
  // g0 kills slot 0's worker twice; slot 0's other gremlins (g2, g4) move to slot 1.
  plan.crashes = [](const std::string& id, int) { return id == "g0"; };
  plan.delay = [](std::uint32_t slot) { return slot == 1 ? 300ms : 0ms; };
  auto out = run(named(6));
  CHECK(out.result_count == 6);
  CHECK(out.results["g0"].verdict == status::error);
  for (auto id : {"g1", "g2", "g3", "g4", "g5"}) {
    INFO(id);
    CHECK(out.results[id].verdict == status::zapped);
  }
  auto slot1 = log->ids_of_slot(1);
  CHECK(std::count(slot1.begin(), slot1.end(), "g2") == 1);
  CHECK(std::count(slot1.begin(), slot1.end(), "g4") == 1);
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: no_coverage gremlins are recorded without running",
                 "[scheduler]") {
  workers = 2;
  gremlin uncovered{"nc"};
  uncovered.has_tests = true;  // "tests": [] in the manifest
  auto out = run({with_tests("a", 2), uncovered, gremlin{"b"}});
  CHECK(out.result_count == 3);
  CHECK(out.results["nc"].verdict == status::no_coverage);
  CHECK(log->arrivals_of("nc") == 0);
  CHECK(out.results["a"].verdict == status::zapped);
  CHECK(out.results["b"].verdict == status::zapped);
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: an empty run answers at once", "[scheduler]") {
  auto out = run({});
  CHECK(out.result_count == 0);
  CHECK(log->arrivals.empty());
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: warm-up asks every worker and counts the ready ones",
                 "[scheduler]") {
  workers = 3;
  auto agg = spawn_result_aggregator(*sys, 0);
  scheduler_setup setup;
  setup.aggregator = agg;
  setup.cfg = pool;
  setup.workers = workers;
  setup.make_worker = worker_factory();
  auto sched = spawn_batch_scheduler(*sys, setup);
  track(sched);
  track(agg);
  caf::scoped_actor self{*sys};
  self->request(sched, std::chrono::seconds(30), warmup_atom::value)
    .receive(
      [&](pool_stats& s) {
        CHECK(s.warmup_completed == 3);
        CHECK(s.is_warmed_up);
        CHECK(s.workers == 3);
      },
      [&](caf::error& err) { FAIL(caf::to_string(err)); });
  self->send_exit(sched, caf::exit_reason::user_shutdown);
  self->send_exit(agg, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: stop records the gremlins not yet run as cancelled",
                 "[scheduler]") {
  // messages/scheduler_actor.hpp: "`stop` cancels: gremlins not yet started are recorded as
  // errors ("cancelled"), running ones are killed."
  workers = 1;
  plan.gather = 1000;
  plan.flush_after = 3600s;  // g0 never finishes on its own
  auto gs = named(3);
  auto agg = spawn_result_aggregator(*sys, 3);
  scheduler_setup setup;
  setup.aggregator = agg;
  setup.cfg = pool;
  setup.workers = 1;
  setup.make_worker = worker_factory();
  auto sched = spawn_batch_scheduler(*sys, setup);
  track(sched);
  track(agg);
  caf::scoped_actor self{*sys};
  auto reply = self->request(sched, std::chrono::seconds(30), run_atom::value, gs);
  for (int i = 0; i < 500 && log->arrivals_of("g0") == 0; ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(log->arrivals_of("g0") == 1);
  self->send(sched, stop_atom::value);
  reply.receive([](pool_stats&) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  std::map<std::string, worker_result> results;
  self->request(agg, std::chrono::seconds(30), results_atom::value)
    .receive([&](std::vector<worker_result>& rs) { for (auto& r : rs) results[r.gremlin_id] = r; },
             [&](caf::error& err) { FAIL(caf::to_string(err)); });
  CHECK(log->arrivals_of("g1") == 0);
  REQUIRE(results.count("g1") == 1);
  REQUIRE(results.count("g2") == 1);
  CHECK(results["g1"].verdict == status::error);
  CHECK_THAT(results["g1"].error_output, Catch::Contains("cancelled"));
  CHECK(results["g2"].verdict == status::error);
  self->send_exit(sched, caf::exit_reason::user_shutdown);
  self->send_exit(agg, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(scheduler_fixture, "scheduler: a worker actor that never answers fails at the safety limit",
                 "[scheduler]") {
  // The safety net is one deadline message for the slot's requests (not a timeout per
  // request): the worker is killed and its oldest gremlin blamed once the limit passed.
  workers = 1;
  pool.max_restarts = 0;
  pool.batch = true;
  pool.batch_size = 3;
  pool.warmup_timeout_s = 0.1;  // the limit: the gremlins' time limits, 0.1 s, and 30 s of slack
  pool.warmup_retries = 0;
  plan.gather = 1000;
  plan.flush_after = std::chrono::hours(1);  // it never answers
  auto out = run(named(3));
  CHECK(out.result_count == 3);
  CHECK(out.results["g0"].verdict == status::error);
  CHECK_THAT(out.results["g0"].error_output, Catch::Contains("worker actor failed"));
  for (auto id : {"g1", "g2"}) {
    INFO(id);
    CHECK(out.results[id].verdict == status::error);
    CHECK_THAT(out.results[id].error_output, Catch::Contains("no worker left"));
  }
  CHECK(log->arrivals_of("g0") == 1);
}
