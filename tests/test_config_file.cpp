// The configuration file: [tool.gremlin-actors] in pyproject.toml or a gremlin-actors.toml,
// every key type, and every way a file is refused (with file:line, the key and the reason).
#include <catch2/catch.hpp>

#include "cli/config_file.hpp"
#include "tests/test_report_fixture.hpp"

using namespace gremlins;
using namespace gremlins::testing;

namespace {

const file_setting& setting(const std::vector<file_setting>& s, const std::string& key) {
  for (const auto& x : s)
    if (x.key == key) return x;
  FAIL("no setting " << key);
  throw;
}

template <class T>
const T& value(const std::vector<file_setting>& s, const std::string& key) {
  const auto& v = setting(s, key).value;
  REQUIRE(std::holds_alternative<T>(v));
  return std::get<T>(v);
}

/// The error for a pyproject.toml whose [tool.gremlin-actors] section holds `body`.
std::string pyproject_error(const std::string& body) {
  temp_dir dir;
  write_file(dir.path, "pyproject.toml", "[project]\nname = \"x\"\n\n[tool.gremlin-actors]\n" + body);
  std::string used;
  try {
    load_config_file(dir.str(), used);
  } catch (const config_error& e) {
    std::string msg = e.what();
    // Make the message independent of the temporary folder's name.
    auto at = msg.find(dir.str() + "/");
    if (at == 0) msg = msg.substr(dir.str().size() + 1);
    return msg;
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("config file: every key of [tool.gremlin-actors] in pyproject.toml", "[config]") {
  temp_dir dir;
  write_file(dir.path, "pyproject.toml",
             "[project]\n"                       // 1
             "name = \"calc\"\n"                 // 2
             "\n"                                // 3
             "[tool.gremlin-actors]\n"           // 4
             "workers = 4\n"                     // 5
             "parallel = true\n"                 // 6
             "batch = false\n"                   // 7
             "batch-size = 25\n"                 // 8
             "timeout = 30\n"                    // 9
             "executor = \"fork\"\n"             // 10
             "start_method = \"auto\"\n"         // 11
             "distribution = \"weighted\"\n"     // 12
             "operators = [\"comparison\", \"arithmetic\"]\n"  // 13
             "targets = [\"src\"]\n"             // 14
             "fail-under = 75.5\n"               // 15
             "json = \"out/results.json\"\n"     // 16
             "report_elements = \"out/e.json\"\n" // 17
             "report-html = \"out/r.html\"\n"    // 18
             "warmup = true\n"                   // 19
             "max_reuse = 0\n"                   // 20
             "env = { PYTHONHASHSEED = \"0\", MODE = \"test\" }\n"  // 21
             "command = [\"/usr/bin/python3\", \"-m\", \"pytest\", \"-q\"]\n"  // 22
             "worker-command = \"python3 -m gremlins_pytest.worker\"\n"  // 23
             "rootdir = \".\"\n"                 // 24
             "manifest = \"gremlins.json\"\n"    // 25
             "quiet = false\n"                   // 26
             "no-color = true\n"                 // 27
             "python = \"/usr/bin/python3\"\n"   // 28
             "show_all = true\n"                 // 29
             "gremlins = [\"g1\", \"g2\"]\n"      // 30
             "gremlin-ids = \"ids.txt\"\n"        // 31
             "pytest = true\n"                   // 32
             "instrumented_dir = \"inst\"\n"      // 33
             "no_retry = true\n"                 // 34
             "max-restarts = 3\n"                // 35
             "warmup_timeout = 5\n"              // 36
             "warmup_retries = 0\n"              // 37
             "error_exit_codes = [2, 9]\n"       // 38
             "signal_is_error = true\n"          // 39
             "project = \"py\"\n"                 // 40
             "nodes = [\"10.0.0.2:7070\"]\n"      // 41
             "tls-cert = \"c.pem\"\n"             // 42
             "tls_key = \"c.key\"\n"              // 43
             "tls_ca = \"ca.pem\"\n"              // 44
             "timeout_confirmations = 2\n"      // 45
             "store = \"out/results.db\"\n"       // 46
             "no-store = false\n"                // 47
             "resume = true\n"                   // 48
             "force = false\n"                   // 49
             "shard = \"2/3\"\n"                   // 50
             "since = \"origin/main\"\n"           // 51
             "in_diff = \"change.diff\"\n"         // 52
             "exclude = [\"src/gen\", \"*_pb2.py\"]\n"  // 53
             "\n[tool.other]\nx = 1\n");
  std::string used;
  auto s = load_config_file(dir.str(), used);
  CHECK(used == dir.str() + "/pyproject.toml");
  REQUIRE(s.size() == config_file_keys().size());
  for (std::size_t i = 0; i < s.size(); ++i)  // file order, each with its line
    CHECK(s[i].where == used + ":" + std::to_string(5 + i));
  CHECK(value<std::int64_t>(s, "workers") == 4);
  CHECK(value<std::int64_t>(s, "timeout_confirmations") == 2);
  CHECK(value<std::string>(s, "store") == "out/results.db");
  CHECK(value<std::vector<std::string>>(s, "exclude") == std::vector<std::string>{"src/gen", "*_pb2.py"});
  CHECK(value<bool>(s, "resume"));
  CHECK(value<std::string>(s, "shard") == "2/3");
  CHECK(value<std::string>(s, "in_diff") == "change.diff");
  CHECK(value<bool>(s, "parallel"));
  CHECK_FALSE(value<bool>(s, "batch"));
  CHECK(value<std::int64_t>(s, "batch_size") == 25);
  CHECK(value<double>(s, "timeout") == 30.0);  // an integer is a fine number
  CHECK(value<std::string>(s, "executor") == "fork");
  CHECK(value<std::vector<std::string>>(s, "operators") ==
        std::vector<std::string>{"comparison", "arithmetic"});
  CHECK(value<double>(s, "fail_under") == 75.5);
  CHECK(value<std::string>(s, "report_html") == "out/r.html");
  CHECK(value<std::int64_t>(s, "max_reuse") == 0);
  CHECK(value<std::map<std::string, std::string>>(s, "env") ==
        std::map<std::string, std::string>{{"MODE", "test"}, {"PYTHONHASHSEED", "0"}});
  CHECK(value<std::vector<std::string>>(s, "command").size() == 4);
  CHECK(value<std::string>(s, "worker_command") == "python3 -m gremlins_pytest.worker");
  CHECK(value<bool>(s, "no_color"));
  CHECK(value<bool>(s, "show_all"));
  CHECK(value<std::vector<std::string>>(s, "gremlins") == std::vector<std::string>{"g1", "g2"});
  CHECK(value<std::string>(s, "gremlin_ids") == "ids.txt");
  CHECK(value<bool>(s, "pytest"));
  CHECK(value<std::string>(s, "instrumented_dir") == "inst");
  CHECK(value<bool>(s, "no_retry"));
  CHECK(value<std::int64_t>(s, "max_restarts") == 3);
  CHECK(value<double>(s, "warmup_timeout") == 5.0);
  CHECK(value<std::int64_t>(s, "warmup_retries") == 0);
  CHECK(value<std::vector<std::int64_t>>(s, "error_exit_codes") == std::vector<std::int64_t>{2, 9});
  CHECK(value<bool>(s, "signal_is_error"));
  CHECK(value<std::string>(s, "project") == "py");
}

TEST_CASE("config file: gremlin-actors.toml holds the keys at its top level", "[config]") {
  temp_dir dir;
  // A pyproject.toml without the section does not count.
  write_file(dir.path, "pyproject.toml", "[project]\nname = \"x\"\n");
  write_file(dir.path, "gremlin-actors.toml",
             "# gremlin-actors settings\n"
             "workers = 2\n"
             "worker_command = [\"python3\", \"-m\", \"w\"]\n"
             "\n[env]\nA = \"1\"\n");
  std::string used;
  auto s = load_config_file(dir.str(), used);
  CHECK(used == dir.str() + "/gremlin-actors.toml");
  REQUIRE(s.size() == 3);
  CHECK(s[0].key == "workers");
  CHECK(s[0].where == used + ":2");
  CHECK(value<std::vector<std::string>>(s, "worker_command") ==
        std::vector<std::string>{"python3", "-m", "w"});
  CHECK(value<std::map<std::string, std::string>>(s, "env").at("A") == "1");
  CHECK(setting(s, "env").where == used + ":5");

  // With the section, pyproject.toml wins over gremlin-actors.toml.
  write_file(dir.path, "pyproject.toml", "[tool.gremlin-actors]\nworkers = 7\n");
  s = load_config_file(dir.str(), used);
  CHECK(used == dir.str() + "/pyproject.toml");
  CHECK(value<std::int64_t>(s, "workers") == 7);
  // A sub-table [tool.gremlin-actors.env] is the env table.
  write_file(dir.path, "pyproject.toml", "[tool.gremlin-actors]\nquiet = true\n[tool.gremlin-actors.env]\nB = \"2\"\n");
  s = load_config_file(dir.str(), used);
  CHECK(value<std::map<std::string, std::string>>(s, "env").at("B") == "2");
}

TEST_CASE("config file: none at all is an empty configuration", "[config]") {
  temp_dir dir;
  std::string used = "stale";
  CHECK(load_config_file(dir.str(), used).empty());
  CHECK(used.empty());
}

TEST_CASE("config file: unknown keys are refused with file:line and a suggestion", "[config]") {
  CHECK(pyproject_error("workers = 2\nwrokers = 4\n") ==
        "pyproject.toml:6: [tool.gremlin-actors] key 'wrokers' is unknown (did you mean 'workers'?)");
  CHECK(pyproject_error("batch-sise = 3\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'batch-sise' is unknown (did you mean 'batch_size'?)");
  CHECK(pyproject_error("colour_scheme = \"dark\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'colour_scheme' is unknown");
  CHECK(pyproject_error("batch-size = 3\nbatch_size = 4\n") ==
        "pyproject.toml:6: [tool.gremlin-actors] key 'batch_size' is given twice (also on line 5)");
}

TEST_CASE("config file: wrong types are refused naming the key and both types", "[config]") {
  CHECK(pyproject_error("parallel = \"yes\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'parallel' must be true or false, not a string");
  CHECK(pyproject_error("workers = 2.5\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'workers' must be an integer, not a number with a fraction");
  CHECK(pyproject_error("batch_size = \"10\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'batch_size' must be an integer, not a string");
  CHECK(pyproject_error("timeout = \"30s\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'timeout' must be a number, not a string");
  CHECK(pyproject_error("executor = 1\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'executor' must be a string, not an integer");
  CHECK(pyproject_error("operators = \"comparison\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'operators' must be an array of strings, not a string");
  CHECK(pyproject_error("command = [\n  \"pytest\",\n  3,\n]\n") ==
        "pyproject.toml:7: [tool.gremlin-actors] key 'command' item 2 must be a string, not an integer");
  CHECK(pyproject_error("worker_command = 5\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'worker_command' must be a string or an array "
        "of strings, not an integer");
  CHECK(pyproject_error("env = \"A=1\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'env' must be a table of strings, not a string");
  CHECK(pyproject_error("env = { A = 1 }\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'env.A' must be a string, not an integer");
  CHECK(pyproject_error("quiet = 2024-01-01\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'quiet' must be true or false, not a date or time");
}

TEST_CASE("config file: impossible values are refused", "[config]") {
  CHECK(pyproject_error("workers = -1\n") ==  // 0 is remote workers only (--nodes)
        "pyproject.toml:5: [tool.gremlin-actors] key 'workers' must be at least 0, not -1");
  CHECK(pyproject_error("batch_size = -3\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'batch_size' must be at least 1, not -3");
  CHECK(pyproject_error("max_reuse = -1\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'max_reuse' must be at least 0, not -1");
  CHECK(pyproject_error("timeout = 0\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'timeout' must be more than 0, not 0");
  CHECK(pyproject_error("fail_under = 100.5\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'fail_under' must be from 0 to 100, not 100.5");
}

TEST_CASE("config file: integers too large for their option are refused, not wrapped", "[config]") {
  // 4294967298 is 2 more than the largest 32-bit value: it used to become 2 workers.
  CHECK(pyproject_error("workers = 4294967298\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'workers' must be from 0 to 1024, not 4294967298");
  CHECK(pyproject_error("workers = 1025\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'workers' must be from 0 to 1024, not 1025");
  CHECK(pyproject_error("workers = 1024\n") == "(accepted)");
  CHECK(pyproject_error("batch_size = 100001\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'batch_size' must be from 1 to 100000, not 100001");
  CHECK(pyproject_error("max_restarts = 4294967296\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'max_restarts' must be from 0 to 4294967295, not 4294967296");
  CHECK(pyproject_error("max_restarts = -1\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'max_restarts' must be at least 0, not -1");
  CHECK(pyproject_error("warmup_retries = -2\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'warmup_retries' must be at least 0, not -2");
  CHECK(pyproject_error("timeout = 86401\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'timeout' must be more than 0 and at most 86400, not 86401");
  CHECK(pyproject_error("warmup_timeout = 0\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'warmup_timeout' must be more than 0, not 0");
}

TEST_CASE("config file: exit codes are 0 to 255, each item checked at its line", "[config]") {
  CHECK(pyproject_error("error_exit_codes = [2, 256]\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'error_exit_codes' item 2 must be from 0 to 255, not 256");
  CHECK(pyproject_error("error_exit_codes = [\n  -1,\n]\n") ==
        "pyproject.toml:6: [tool.gremlin-actors] key 'error_exit_codes' item 1 must be at least 0, not -1");
  CHECK(pyproject_error("error_exit_codes = [2, \"3\"]\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'error_exit_codes' item 2 must be an integer, not a string");
  CHECK(pyproject_error("error_exit_codes = 2\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'error_exit_codes' must be an array of integers, not an integer");
  CHECK(pyproject_error("error_exit_codes = [0, 255]\n") == "(accepted)");
}

TEST_CASE("config file: a value outside an option's choices is refused with the choices", "[config]") {
  CHECK(pyproject_error("executor = \"threads\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'executor' must be one of auto, subprocess, fork, "
        "inprocess, not 'threads'");
  CHECK(pyproject_error("start-method = \"vfork\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'start_method' must be one of auto, spawn, fork, "
        "forkserver, not 'vfork'");
  CHECK(pyproject_error("distribution = \"round_robin\"\n") ==
        "pyproject.toml:5: [tool.gremlin-actors] key 'distribution' must be one of pull, round-robin, "
        "weighted, not 'round_robin'");
}

TEST_CASE("config file: syntax errors and a section that is not a table", "[config]") {
  CHECK_THAT(pyproject_error("workers = \n"),
             Catch::StartsWith("pyproject.toml:5:") && Catch::Contains("TOML syntax error"));
  temp_dir dir;
  write_file(dir.path, "pyproject.toml", "[tool]\ngremlin-actors = 3\n");
  std::string used;
  CHECK_THROWS_WITH(load_config_file(dir.str(), used),
                    dir.str() + "/pyproject.toml:2: [tool.gremlin-actors] must be a table");
  temp_dir own;
  write_file(own.path, "gremlin-actors.toml", "\n\nworkres = 1\n");
  CHECK_THROWS_WITH(load_config_file(own.str(), used),
                    own.str() + "/gremlin-actors.toml:3: key 'workres' is unknown (did you mean 'workers'?)");
  write_file(own.path, "gremlin-actors.toml", "[gremlin-actors]\nworkers = 1\n");
  CHECK_THROWS_WITH(load_config_file(own.str(), used),
                    Catch::Contains("gremlin-actors.toml:1: key 'gremlin-actors' is unknown"));
}

TEST_CASE("config file: [tool.pytest-gremlins] operators, paths and exclude are read, ours comes after",
          "[config]") {
  temp_dir dir;
  write_file(dir.path, "pyproject.toml",
             "[tool.pytest-gremlins]\n"
             "operators = [\"comparison\"]\n"
             "paths = [\"src/calc\"]\n"
             "workers = 4                # pytest-gremlins' own: not read\n"
             "exclude = [\"src/calc/legacy.py\"]\n"
             "max-pardons = 3\n"
             "\n[tool.gremlin-actors]\n"
             "exclude = [\"src/calc/gen_*.py\"]\n");
  std::string used;
  auto s = load_config_file(dir.str(), used);
  CHECK(used == dir.str() + "/pyproject.toml");
  REQUIRE(s.size() == 4);
  // Theirs first (foreign), in file order; then ours.
  CHECK(s[0].key == "operators");
  CHECK(s[0].foreign);
  CHECK(s[0].where == used + ":2");
  CHECK(s[0].table == "[tool.pytest-gremlins]");
  CHECK(s[1].key == "targets");
  CHECK(s[1].table == "[tool.pytest-gremlins] paths");
  CHECK(std::get<std::vector<std::string>>(s[1].value) == std::vector<std::string>{"src/calc"});
  CHECK(s[2].key == "exclude");
  CHECK(s[2].foreign);
  CHECK(s[3].key == "exclude");
  CHECK_FALSE(s[3].foreign);
  CHECK(s[3].table == "[tool.gremlin-actors]");
  CHECK(s[3].where == used + ":9");

  // Only theirs in pyproject.toml: gremlin-actors.toml is still ours.
  write_file(dir.path, "pyproject.toml", "[tool.pytest-gremlins]\npaths = [\"lib\"]\n");
  write_file(dir.path, "gremlin-actors.toml", "targets = [\"src\"]\n");
  s = load_config_file(dir.str(), used);
  CHECK(used == dir.str() + "/gremlin-actors.toml");
  REQUIRE(s.size() == 2);
  CHECK(s[0].foreign);
  CHECK_FALSE(s[1].foreign);
  CHECK(s[1].table.empty());
}

TEST_CASE("config file: bad values in [tool.pytest-gremlins] name the file, line and key as written",
          "[config]") {
  auto error_of = [](const std::string& text) -> std::string {
    temp_dir dir;
    write_file(dir.path, "pyproject.toml", text);
    std::string used;
    try {
      load_config_file(dir.str(), used);
    } catch (const config_error& e) {
      std::string msg = e.what();
      return msg.substr(msg.find("pyproject.toml"));
    }
    return "(accepted)";
  };
  CHECK(error_of("[tool.pytest-gremlins]\n\npaths = \"src\"\n") ==
        "pyproject.toml:3: [tool.pytest-gremlins] key 'paths' must be an array of strings, not a string");
  CHECK(error_of("[tool.pytest-gremlins]\nexclude = [\"a\", 3]\n") ==
        "pyproject.toml:2: [tool.pytest-gremlins] key 'exclude' item 2 must be a string, not an integer");
  CHECK(error_of("[tool]\npytest-gremlins = 3\n") == "pyproject.toml:2: [tool.pytest-gremlins] must be a table");
  CHECK(error_of("[tool.pytest-gremlins]\nreport = \"html\"\ncache = true\n") == "(accepted)");
}
