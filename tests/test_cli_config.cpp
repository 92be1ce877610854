// The configuration file as the CLI uses it: precedence (command line > file > default), the
// `config` listing with each value's source, and refusals that name the file, line and key.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli_helpers.hpp"

using namespace gremlins::testing;

namespace {

constexpr auto limit = std::chrono::seconds(60);

}  // namespace

TEST_CASE("config: values come from the file, the command line wins, the rest are defaults", "[cli-config]") {
  scratch_dir dir;
  dir.write("pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.gremlin-actors]\nworkers = 3\nbatch-size = 7\ndistribution = \"weighted\"\n");
  auto r = run_cli({"config", "--batch-size", "5"}, limit, {dir.path(), {}});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("workers = 3    # pyproject.toml:5 [tool.gremlin-actors]\n"));
  CHECK_THAT(r.out, Catch::Contains("distribution = weighted    # pyproject.toml:7 [tool.gremlin-actors]\n"));
  CHECK_THAT(r.out, Catch::Contains("batch_size = 5    # command line (over pyproject.toml:6 [tool.gremlin-actors])\n"));
  CHECK_THAT(r.out, Catch::Contains("executor = auto    # default"));
}

TEST_CASE("config: [tool.pytest-gremlins] values, ours winning over them, each with its file and table",
          "[cli-config]") {
  scratch_dir dir;
  dir.write("pyproject.toml",
            "[tool.pytest-gremlins]\noperators = [\"comparison\", \"boolean\"]\npaths = [\"src\"]\n"
            "exclude = [\"src/old.py\"]\nworkers = 9\n\n[tool.gremlin-actors]\nexclude = [\"src/gen_*.py\"]\n");
  auto r = run_cli({"config", "--operators", "return"}, limit, {dir.path(), {}});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("# configuration file: pyproject.toml\n"));
  CHECK_THAT(r.out, Catch::Contains("\ntargets = src    # pyproject.toml:3 [tool.pytest-gremlins] paths\n"));
  CHECK_THAT(r.out, Catch::Contains("\nexclude = src/gen_*.py    # pyproject.toml:8 [tool.gremlin-actors] "
                                    "(over pyproject.toml:4 [tool.pytest-gremlins])\n"));
  CHECK_THAT(r.out, Catch::Contains("\noperators = return    # command line (over pyproject.toml:2 "
                                    "[tool.pytest-gremlins])\n"));
  CHECK_THAT(r.out, Catch::Contains("\nworkers = (CPU count when parallel)    # default\n"));
  // A bad value: file, line, table and key; exit 2.
  dir.write("pyproject.toml", "[tool.pytest-gremlins]\noperators = \"comparison\"\n");
  auto bad = run_cli({"config"}, limit, {dir.path(), {}});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("pyproject.toml:2: [tool.pytest-gremlins] key 'operators' must be an array of "
                                      "strings, not a string"));
}

TEST_CASE("config: gremlin-actors.toml is read when pyproject.toml has no table", "[cli-config]") {
  scratch_dir dir;
  dir.write("gremlin-actors.toml", "timeout = 2.5\n");
  auto r = run_cli({"config"}, limit, {dir.path(), {}});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("timeout = 2.5 s    # gremlin-actors.toml:1"));
}

TEST_CASE("config file values reach the run: a fixed timeout from the file is honoured", "[cli-config]") {
  scratch_dir dir;
  dir.write("gremlin-actors.toml", "timeout = 0.5\njson = \"out.json\"\n");
  auto marker = unique_marker("cfgtimeout");
  auto r = run_cli({"run", "--gremlins", "slow", "--env", "M=" + marker, "--", "sh", "-c",
                    "test -z \"$ACTIVE_GREMLIN\" || sleep 30"},
                   limit, {dir.path(), {}});
  REQUIRE(r.exit_code == 0);
  auto doc = nlohmann::json::parse(read_text(dir / "out.json"));
  CHECK(doc["results"][0]["status"] == "timeout");
  CHECK(left_behind(marker).empty());
}

TEST_CASE("config: a bad value in the file is refused with file:line and key, nothing runs", "[cli-config]") {
  scratch_dir dir;
  auto witness = dir / "ran";
  SECTION("an unknown executor") {
    dir.write("gremlin-actors.toml", "workers = 2\nexecutor = \"threads\"\n");
    auto r = run_cli({"run", "--gremlins", "a", "--", "touch", witness}, limit, {dir.path(), {}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("gremlin-actors.toml:2") && Catch::Contains("executor"));
  }
  SECTION("an unknown key") {
    dir.write("pyproject.toml", "[tool.gremlin-actors]\nwrokers = 2\n");
    auto r = run_cli({"run", "--gremlins", "a", "--", "touch", witness}, limit, {dir.path(), {}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("pyproject.toml:2") && Catch::Contains("wrokers"));
  }
  SECTION("a wrong type") {
    dir.write("pyproject.toml", "[tool.gremlin-actors]\nbatch = \"yes\"\n");
    auto r = run_cli({"config"}, limit, {dir.path(), {}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("pyproject.toml:2") && Catch::Contains("batch"));
  }
  CHECK_FALSE(exists(witness));
}
