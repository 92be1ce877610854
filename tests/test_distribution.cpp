// pytest-gremlins' distribution strategies and BatchExecutor.partition, as pure functions, on the
// pytest-gremlins' own examples.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "runtime/rules/distribution.hpp"

using namespace gremlins;

namespace {

using ids = std::vector<std::vector<std::string>>;

gremlin with_tests(const std::string& id, std::size_t n) {
  gremlin g;
  g.id = id;
  g.has_tests = n > 0;
  for (std::size_t i = 0; i < n; ++i) g.tests.push_back(id + "::t" + std::to_string(i));
  return g;
}

std::vector<gremlin> plain(std::size_t n) {
  std::vector<gremlin> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(gremlin{"g" + std::to_string(i)});
  return out;
}

ids names(const std::vector<std::vector<gremlin>>& bs) {
  ids out;
  for (const auto& b : bs) {
    out.emplace_back();
    for (const auto& g : b) out.back().push_back(g.id);
  }
  return out;
}

}  // namespace

TEST_CASE("round-robin: pytest-gremlins' example, 5 gremlins on 3 workers", "[distribution]") {
  CHECK(round_robin_distribute(5, 3) == buckets{{0, 3}, {1, 4}, {2}});
  CHECK(names(distribute(distribution::round_robin, plain(5), 3)) ==
        ids{{"g0", "g3"}, {"g1", "g4"}, {"g2"}});
}

TEST_CASE("round-robin: gremlin N goes to worker N mod W", "[distribution]") {
  auto b = round_robin_distribute(100, 7);
  REQUIRE(b.size() == 7);
  for (std::size_t w = 0; w < b.size(); ++w)
    for (auto i : b[w]) CHECK(i % 7 == w);
  CHECK(round_robin_distribute(2, 4) == buckets{{0}, {1}, {}, {}});
  CHECK(round_robin_distribute(0, 3) == buckets{{}, {}, {}});
}

TEST_CASE("weighted: pytest-gremlins' example follows its stated greedy algorithm", "[distribution]") {
  // pytest-gremlins' docstring shows buckets [g0, g2, g3] (120) / [g1] (100), but its stated algorithm
  // (heaviest first, each onto the least-loaded worker) places g2 on worker 0 (100 vs 100:
  // the lowest index) and then g3 on worker 1 (110 vs 100), which is also better balanced.
  // We implement the algorithm, so this asserts [g0, g2] / [g1, g3] (110 / 110).
  std::vector<gremlin> gs = {with_tests("g0", 100), with_tests("g1", 100), with_tests("g2", 10),
                             with_tests("g3", 10)};
  CHECK(names(distribute(distribution::weighted, gs, 2)) == ids{{"g0", "g2"}, {"g1", "g3"}});
  CHECK(weighted_distribute({100, 100, 10, 10}, 2) == buckets{{0, 2}, {1, 3}});
}

TEST_CASE("weighted: heaviest first onto the least-loaded worker", "[distribution]") {
  // Input order is not weight order: the heavy one is placed first wherever it is.
  CHECK(weighted_distribute({1, 1, 9}, 2) == buckets{{2}, {0, 1}});
  // Weights 8, 5, 4, 3, 2 placed in that order on 3 workers: 8 | 5+2 | 4+3.
  auto b = weighted_distribute({2, 8, 3, 5, 4}, 3);
  CHECK(b == buckets{{1}, {3, 0}, {4, 2}});
  // Ties keep input order and go to the lowest index.
  CHECK(weighted_distribute({5, 5, 5}, 3) == buckets{{0}, {1}, {2}});
}

TEST_CASE("weighted: a gremlin without covering tests weighs 1", "[distribution]") {
  CHECK(weight_of(gremlin{"x"}) == 1);
  CHECK(weight_of(with_tests("y", 3)) == 3);
  // Three weightless gremlins balance against one of weight 3.
  std::vector<gremlin> gs = {with_tests("heavy", 3), gremlin{"a"}, gremlin{"b"}, gremlin{"c"}};
  CHECK(names(distribute(distribution::weighted, gs, 2)) == ids{{"heavy"}, {"a", "b", "c"}});
}

TEST_CASE("pull has no static assignment: one shared bucket in input order", "[distribution]") {
  CHECK(names(distribute(distribution::pull, plain(4), 3)) == ids{{"g0", "g1", "g2", "g3"}});
}

TEST_CASE("every gremlin lands in exactly one bucket, whatever the strategy", "[distribution]") {
  std::vector<gremlin> gs;
  for (int i = 0; i < 50; ++i) gs.push_back(with_tests("g" + std::to_string(i), i % 7));
  for (auto s : {distribution::pull, distribution::round_robin, distribution::weighted}) {
    std::multiset<std::string> seen;
    for (const auto& b : distribute(s, gs, 4))
      for (const auto& g : b) seen.insert(g.id);
    CHECK(seen.size() == gs.size());
    for (const auto& g : gs) CHECK(seen.count(g.id) == 1);
  }
}

TEST_CASE("partition: batches of batch_size, the last one shorter", "[distribution]") {
  std::vector<int> v = {1, 2, 3, 4, 5, 6, 7};
  CHECK(partition(v, 3) == std::vector<std::vector<int>>{{1, 2, 3}, {4, 5, 6}, {7}});
  CHECK(partition(v, 7) == std::vector<std::vector<int>>{{1, 2, 3, 4, 5, 6, 7}});
  CHECK(partition(v, 1).size() == 7);
  CHECK(partition(std::vector<int>{1, 2, 3, 4}, 2) == std::vector<std::vector<int>>{{1, 2}, {3, 4}});
  CHECK(partition(v, 100) == std::vector<std::vector<int>>{{1, 2, 3, 4, 5, 6, 7}});
  CHECK(partition(std::vector<int>{}, 3).empty());
}
