// `gremlin-actors merge`: shards of one run combine into the run; shards of different runs,
// a shard twice, a missing shard or a gremlin in two shards are refused.

#include <catch2/catch.hpp>

#include "cli_helpers.hpp"

#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "cli/exit_codes.hpp"
#include "cli/merge_command.hpp"
#include "runtime/formats/results_json.hpp"
#include "runtime/rules/reuse.hpp"

using namespace gremlins;
using namespace gremlins::cli;
namespace fs = std::filesystem;

namespace {

/// Writes the results of shard `k` of `count` of the gremlins g0..g(total-1) (zapped when even).
std::string write_shard(const gremlins::testing::scratch_dir& dir, std::uint32_t k, std::uint32_t count, int total,
                        const std::string& selection = "sel-1") {
  run_report r;
  r.rootdir = "/p";
  r.shard = std::to_string(k) + "/" + std::to_string(count);
  r.selection = selection;
  for (int i = 0; i < total; ++i) {
    auto id = "g" + std::to_string(i);
    if (!in_shard(id, shard_spec{k, count})) continue;
    r.results.push_back(worker_result{id, i % 2 ? status::survived : status::zapped, i % 2 ? "" : "t::x", 1, ""});
  }
  auto path = dir / ("shard" + std::to_string(k) + "-" + selection + ".json");
  write_results_json(r, path);
  return path;
}

int merge_quietly(merge_command_options o, std::string& err_text) {
  o.quiet = true;
  std::FILE* err = std::tmpfile();
  int rc = merge_command(o, stdout, err);
  std::rewind(err);
  char buf[4096];
  auto n = std::fread(buf, 1, sizeof buf, err);
  err_text.assign(buf, n);
  std::fclose(err);
  return rc;
}

}  // namespace

TEST_CASE("merge: three shards make the whole run", "[merge]") {
  gremlins::testing::scratch_dir dir;
  merge_command_options o;
  for (std::uint32_t k = 1; k <= 3; ++k) o.shards.push_back(write_shard(dir, k, 3, 30));
  o.json = (dir / "all.json");
  std::string err;
  REQUIRE(merge_quietly(o, err) == exit_ok);
  auto all = read_results_json(o.json);
  REQUIRE(all.results.size() == 30);
  for (int i = 0; i < 30; ++i) {
    auto id = "g" + std::to_string(i);
    auto it = std::find_if(all.results.begin(), all.results.end(), [&](auto& r) { return r.gremlin_id == id; });
    REQUIRE(it != all.results.end());
    CHECK(it->verdict == (i % 2 ? status::survived : status::zapped));
  }
  CHECK(all.selection == "sel-1");
}

TEST_CASE("merge: the shards' source digests are kept where they agree, dropped where they differ", "[merge]") {
  gremlins::testing::scratch_dir dir;
  merge_command_options o;
  for (std::uint32_t k = 1; k <= 2; ++k) {
    auto path = write_shard(dir, k, 2, 10);
    auto r = read_results_json(path);
    r.source_digests = {{"src/same.py", "aaaa"}, {"src/edited.py", k == 1 ? "bbbb" : "cccc"}};
    if (k == 2) r.source_digests["src/only2.py"] = "dddd";
    write_results_json(r, path);
    o.shards.push_back(path);
  }
  o.json = (dir / "all.json");
  std::string err;
  REQUIRE(merge_quietly(o, err) == exit_ok);
  // `apply` refuses a file without a digest: a file two shards saw differently is one.
  CHECK(read_results_json(o.json).source_digests ==
        std::map<std::string, std::string>{{"src/same.py", "aaaa"}, {"src/only2.py", "dddd"}});
}

TEST_CASE("merge: refuses what is not one run's complete set of shards", "[merge]") {
  gremlins::testing::scratch_dir dir;
  merge_command_options o;
  std::string expect;
  SECTION("different runs") {
    o.shards = {write_shard(dir, 1, 2, 10, "sel-1"), write_shard(dir, 2, 2, 10, "sel-2")};
    expect = "different runs";
  }
  SECTION("a shard twice") {
    o.shards = {write_shard(dir, 1, 2, 10), write_shard(dir, 1, 2, 10)};
    expect = "given twice";
  }
  SECTION("a shard missing") {
    o.shards = {write_shard(dir, 1, 3, 10), write_shard(dir, 3, 3, 10)};
    expect = "shard 2/3 is missing";
  }
  SECTION("not a shard") {
    run_report r;
    r.results = {worker_result{"g1", status::zapped, "t", 1, ""}};
    auto path = (dir / "plain.json");
    write_results_json(r, path);
    o.shards = {path};
    expect = "not a shard's results";
  }
  std::string err;
  CHECK(merge_quietly(o, err) == exit_bad_input);
  CHECK_THAT(err, Catch::Contains(expect));
}
