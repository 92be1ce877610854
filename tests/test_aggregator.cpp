// The result aggregator (pytest-gremlins' ResultAggregator): its table alone, then the actor in a
// real actor system with many threads adding results at once and a subscriber counting events.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "actors/result_aggregator.hpp"
#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"
#include "caf/send.hpp"
#include "caf/typed_event_based_actor.hpp"
#include "messages/type_ids.hpp"
#include "runtime/rules/result_table.hpp"

using namespace gremlins;
using namespace std::chrono_literals;

namespace {

worker_result result(const std::string& id, status s) {
  worker_result r;
  r.gremlin_id = id;
  r.verdict = s;
  return r;
}

std::string id_of(int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "g%05d", n);
  return buf;
}

struct system_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  system_fixture() {
    cfg.add_message_types<caf::id_block::gremlin_actors>();
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  std::vector<worker_result> results_of(const aggregator_actor& agg) {
    std::vector<worker_result> out;
    caf::scoped_actor self{*sys};
    self->request(agg, std::chrono::seconds(30), results_atom::value)
      .receive([&](std::vector<worker_result>& rs) { out = std::move(rs); },
               [&](caf::error& err) { FAIL("results: " << caf::to_string(err)); });
    return out;
  }

  progress progress_of(const aggregator_actor& agg) {
    progress out;
    caf::scoped_actor self{*sys};
    self->request(agg, std::chrono::seconds(30), progress_atom::value)
      .receive([&](progress& p) { out = std::move(p); },
               [&](caf::error& err) { FAIL("progress: " << caf::to_string(err)); });
    return out;
  }
};

/// What a subscriber saw, filled in on an actor thread, read by the test thread.
struct seen_events {
  std::mutex m;
  std::condition_variable cv;
  std::vector<progress> snapshots;
  std::vector<std::string> ids;

  bool wait_for(std::size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, limit, [&] { return ids.size() >= n; });
  }
};

progress_listener::behavior_type recording_listener(progress_listener::pointer,
                                                    std::shared_ptr<seen_events> seen) {
  return {
    [seen](progress_atom, const progress& p, const worker_result& r) {
      std::lock_guard<std::mutex> g(seen->m);
      seen->snapshots.push_back(p);
      seen->ids.push_back(r.gremlin_id);
      seen->cv.notify_all();
    },
  };
}

}  // namespace

TEST_CASE("result_table: one result per id, the first one wins", "[aggregator]") {
  result_table t(3);
  CHECK(t.add_result(result("b", status::zapped)));
  CHECK_FALSE(t.add_result(result("b", status::survived)));
  CHECK_FALSE(t.add_error("b", "late"));
  CHECK(t.completed() == 1);
  auto rs = t.sorted_results();
  REQUIRE(rs.size() == 1);
  CHECK(rs[0].verdict == status::zapped);
  CHECK(t.snapshot().count(status::survived) == 0);
  CHECK(t.snapshot().count(status::error) == 0);
}

TEST_CASE("result_table: results sorted by gremlin id", "[aggregator]") {
  result_table t(5);
  for (auto id : {"m", "a", "z", "b10", "b2"}) t.add_result(result(id, status::survived));
  std::vector<std::string> ids;
  for (const auto& r : t.sorted_results()) ids.push_back(r.gremlin_id);
  CHECK(ids == std::vector<std::string>{"a", "b10", "b2", "m", "z"});
}

TEST_CASE("result_table: progress and counts per status", "[aggregator]") {
  result_table t(4);
  auto p0 = t.snapshot();
  CHECK(p0.completed == 0);
  CHECK(p0.total == 4);
  CHECK(p0.percentage() == Approx(0));
  t.add_result(result("a", status::zapped));
  CHECK(t.snapshot().percentage() == Approx(25));
  t.add_result(result("b", status::zapped));
  t.add_result(result("c", status::timeout));
  t.add_error("d", "worker died twice");
  auto p = t.snapshot();
  CHECK(p.completed == 4);
  CHECK(p.percentage() == Approx(100));
  CHECK(p.count(status::zapped) == 2);
  CHECK(p.count(status::timeout) == 1);
  CHECK(p.count(status::error) == 1);
  CHECK(p.count(status::survived) == 0);
  CHECK(p.count(status::no_coverage) == 0);
  auto rs = t.sorted_results();
  CHECK(rs[3].gremlin_id == "d");
  CHECK(rs[3].verdict == status::error);
  CHECK(rs[3].error_output == "worker died twice");
  CHECK(result_table(0).snapshot().percentage() == Approx(100));
}

TEST_CASE("result_table: results beyond the announced total raise the total", "[aggregator]") {
  result_table t(1);
  t.add_result(result("a", status::zapped));
  t.add_result(result("b", status::zapped));
  auto p = t.snapshot();
  CHECK(p.total == 2);
  CHECK(p.percentage() == Approx(100));
}

TEST_CASE_METHOD(system_fixture, "aggregator actor: add_result, add_error, sorted, counts", "[aggregator]") {
  auto agg = spawn_result_aggregator(*sys, 4);
  caf::anon_send(agg, add_result_atom::value, result("c", status::survived));
  caf::anon_send(agg, add_error_atom::value, std::string("a"), std::string("boom"));
  caf::anon_send(agg, add_result_atom::value, result("b", status::no_coverage));
  caf::anon_send(agg, add_result_atom::value, result("a", status::zapped));  // duplicate
  auto rs = results_of(agg);
  REQUIRE(rs.size() == 3);
  CHECK(rs[0].gremlin_id == "a");
  CHECK(rs[0].verdict == status::error);
  CHECK(rs[0].error_output == "boom");
  CHECK(rs[1].gremlin_id == "b");
  CHECK(rs[2].gremlin_id == "c");
  auto p = progress_of(agg);
  CHECK(p.completed == 3);
  CHECK(p.total == 4);
  CHECK(p.percentage() == Approx(75));
  CHECK(p.count(status::error) == 1);
  CHECK(p.count(status::zapped) == 0);
  CHECK(p.count(status::no_coverage) == 1);
  caf::anon_send_exit(agg, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(system_fixture, "aggregator actor: many threads at once, each result counted once",
                 "[aggregator]") {
  constexpr int threads = 8, per_thread = 500, total = threads * per_thread;
  auto agg = spawn_result_aggregator(*sys, total);
  auto seen = std::make_shared<seen_events>();
  auto listener = sys->spawn(recording_listener, seen);
  {
    caf::scoped_actor self{*sys};
    self->request(agg, std::chrono::seconds(30), subscribe_atom::value, listener)
      .receive([](const progress& p) { CHECK(p.completed == 0); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  }
  // Thread t owns ids t, t+8, ...; it also re-sends its neighbour's ids with another verdict,
  // so every id arrives twice from two threads and only one of them may count.
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int k = 0; k < per_thread; ++k) {
        caf::anon_send(agg, add_result_atom::value, result(id_of(t + k * threads), status::zapped));
        int other = (t + 1) % threads + k * threads;
        caf::anon_send(agg, add_result_atom::value, result(id_of(other), status::survived));
      }
    });
  for (auto& th : pool) th.join();
  auto rs = results_of(agg);
  REQUIRE(rs.size() == static_cast<std::size_t>(total));
  for (int n = 0; n < total; ++n) REQUIRE(rs[n].gremlin_id == id_of(n));
  auto p = progress_of(agg);
  CHECK(p.completed == static_cast<std::uint32_t>(total));
  CHECK(p.count(status::zapped) + p.count(status::survived) == static_cast<std::uint32_t>(total));
  // One progress event per recorded result, none for the ignored duplicates.
  REQUIRE(seen->wait_for(total, 30s));
  std::this_thread::sleep_for(100ms);  // let a surplus event, if any, arrive
  std::lock_guard<std::mutex> g(seen->m);
  CHECK(seen->ids.size() == static_cast<std::size_t>(total));
  CHECK(std::set<std::string>(seen->ids.begin(), seen->ids.end()).size() == static_cast<std::size_t>(total));
  for (std::size_t i = 0; i < seen->snapshots.size(); ++i) {
    CHECK(seen->snapshots[i].completed == i + 1);
    CHECK(seen->snapshots[i].total == static_cast<std::uint32_t>(total));
  }
  caf::anon_send_exit(agg, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(system_fixture, "aggregator actor: every subscriber gets each event", "[aggregator]") {
  auto agg = spawn_result_aggregator(*sys, 2);
  auto a = std::make_shared<seen_events>(), b = std::make_shared<seen_events>();
  auto la = sys->spawn(recording_listener, a), lb = sys->spawn(recording_listener, b);
  caf::scoped_actor self{*sys};
  for (auto& l : {la, lb})
    self->request(agg, std::chrono::seconds(30), subscribe_atom::value, l)
      .receive([](const progress&) {}, [](caf::error& err) { FAIL(caf::to_string(err)); });
  self->send(agg, add_result_atom::value, result("x", status::timeout));
  self->send(agg, add_error_atom::value, std::string("y"), std::string("bad reply"));
  REQUIRE(a->wait_for(2, 10s));
  REQUIRE(b->wait_for(2, 10s));
  std::lock_guard<std::mutex> g(a->m);
  CHECK(a->ids == std::vector<std::string>{"x", "y"});
  CHECK(a->snapshots[1].count(status::timeout) == 1);
  CHECK(a->snapshots[1].count(status::error) == 1);
  CHECK(a->snapshots[1].percentage() == Approx(100));
  for (auto& h : {la, lb}) self->send_exit(h, caf::exit_reason::user_shutdown);
  self->send_exit(agg, caf::exit_reason::user_shutdown);
}

TEST_CASE("result_table: take_sorted_results moves everything out once, counts stay", "[aggregator]") {
  result_table t(3);
  t.add_result(worker_result{"b", status::zapped, "t", 1, ""});
  t.add_result(worker_result{"a", status::survived, "", 1, ""});
  auto rs = t.take_sorted_results();
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].gremlin_id == "a");
  CHECK(rs[1].gremlin_id == "b");
  CHECK(t.completed() == 2);
  CHECK(t.snapshot().completed == 2);
  // A late result after the take is refused, not recorded as new.
  CHECK_FALSE(t.add_result(worker_result{"c", status::zapped, "t", 1, ""}));
  CHECK(t.completed() == 2);
  CHECK(t.take_sorted_results().empty());
}
