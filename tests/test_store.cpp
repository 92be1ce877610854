// The results store on real SQLite files: verdicts survive the store and a SIGKILL of the
// process that wrote them; a store from a newer version is refused; a corrupt one is moved
// aside and rebuilt, never trusted.

#include <catch2/catch.hpp>

#include "cli_helpers.hpp"

#include <SQLiteCpp/Database.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/formats/results_store.hpp"

using namespace gremlins;
namespace fs = std::filesystem;

namespace {

}  // namespace

TEST_CASE("store: verdicts and fingerprints round-trip, a later one replaces an earlier one", "[store]") {
  gremlins::testing::scratch_dir dir;
  auto path = (dir / "results.db");
  {
    results_store store(path);
    store.record(worker_result{"g1", status::zapped, "tests/t.py::test_a", 12.5, ""}, "fp1");
    store.record(worker_result{"g2", status::survived, "", 3, ""}, "fp2");
    store.record(worker_result{"g1", status::timeout, "", 2000, "time limit"}, "fp1b");
  }
  results_store again(path);
  auto all = again.load();
  REQUIRE(all.size() == 2);
  CHECK(all.at("g1").result.verdict == status::timeout);
  CHECK(all.at("g1").result.error_output == "time limit");
  CHECK(all.at("g1").fingerprint == "fp1b");
  CHECK(all.at("g2").result.verdict == status::survived);
  CHECK(all.at("g2").result.execution_time_ms == Approx(3));
  again.clear();
  CHECK(again.load().empty());
}

TEST_CASE("store: what was recorded before a SIGKILL is there afterwards", "[store]") {
  gremlins::testing::scratch_dir dir;
  auto path = (dir / "results.db");
  auto marker = (dir / "written");
  pid_t child = ::fork();
  if (child == 0) {
    {
      results_store store(path);
      for (int i = 0; i < 100; ++i) store.record(worker_result{"g" + std::to_string(i), status::zapped, "t", 1, ""}, "");
      store.flush();
      std::ofstream(marker) << "ok";
    }
    // Killed while it holds the file open, with more results queued.
    results_store store(path);
    store.record(worker_result{"late", status::zapped, "t", 1, ""}, "");
    store.flush();
    std::ofstream(marker, std::ios::app) << "late";
    for (;;) ::pause();
  }
  for (int i = 0; i < 500 && (!fs::exists(marker) || fs::file_size(marker) < 6); ++i) ::usleep(10000);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  results_store store(path);
  auto all = store.load();
  CHECK(all.size() == 101);
  CHECK(all.count("late") == 1);
}

TEST_CASE("store: a store written by a newer version is refused, naming the file", "[store]") {
  gremlins::testing::scratch_dir dir;
  auto path = (dir / "results.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version=" + std::to_string(results_store_schema + 1));
  }
  try {
    results_store store(path);
    FAIL("a newer store was opened");
  } catch (const store_error& e) {
    CHECK_THAT(e.what(), Catch::Contains(path));
    CHECK_THAT(e.what(), Catch::Contains("newer"));
  }
  CHECK(fs::exists(path));  // and left as it is
}

TEST_CASE("store: a corrupt store is reported, moved aside and rebuilt", "[store]") {
  gremlins::testing::scratch_dir dir;
  auto path = (dir / "results.db");
  auto kind = GENERATE(0, 1);
  if (kind == 0) {
    std::ofstream(path) << "this is not a database, just text that a crash left behind\n";
  } else {
    {
      results_store store(path);
      for (int i = 0; i < 2000; ++i) store.record(worker_result{"g" + std::to_string(i), status::survived, "", 1, std::string(200, 'x')}, "");
    }
    fs::resize_file(path, fs::file_size(path) / 2);  // truncated
  }
  std::string notice;
  results_store store(path, &notice);
  INFO(notice);
  CHECK_THAT(notice, Catch::Contains("moved it to " + path + ".corrupt-1"));
  CHECK(fs::exists(path + ".corrupt-1"));
  CHECK(store.load().empty());
  store.record(worker_result{"g1", status::zapped, "t", 1, ""}, "");
  store.flush();
  CHECK(store.load().size() == 1);
}

TEST_CASE("store: a folder is refused", "[store]") {
  gremlins::testing::scratch_dir dir;
  CHECK_THROWS_AS(results_store(dir.path()), store_error);
}
