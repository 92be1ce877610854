// The option table of `run` (cli/options.hpp), walked entry by entry: each option reaches its
// run_options field from the command line (under every spelling) and from a
// gremlin-actors.toml (with that file's line as the source), `gremlin-actors config` lists
// every key, docs/configuration.md lists exactly the table's keys, and out-of-range values are
// refused the same way on the command line and in the file.

#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <fstream>
#include <set>
#include <thread>

#include "cli/config_file.hpp"
#include "cli/config_merge.hpp"
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/stop_watch.hpp"
#include "cli_helpers.hpp"
#include "messages/pool_config.hpp"

using namespace gremlins;
using namespace gremlins::cli;
using namespace gremlins::testing;

namespace {

constexpr auto limit = std::chrono::seconds(60);

std::vector<std::string> split(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  for (;;) {
    auto at = s.find(sep, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string::npos) return out;
    start = at + sep.size();
  }
}

std::string toml_string(const std::string& s) { return "\"" + s + "\""; }

/// A parsed `run` command line and the options it wrote.
struct parsed_run {
  std::unique_ptr<CLI::App> app = std::make_unique<CLI::App>("run");
  std::unique_ptr<run_options> opts = std::make_unique<run_options>();
  std::vector<effective_setting> rows;
  std::string used_file;

  explicit parsed_run(std::vector<std::string> args) {
    add_run_options(*app, *opts);
    args.insert(args.begin(), "gremlin-actors");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    app->parse(static_cast<int>(argv.size()), argv.data());
  }
  /// Merges the configuration file, as `run` and `config` do.
  parsed_run& merged() {
    rows = merge_config_file(*opts, *app, used_file);
    return *this;
  }
  const effective_setting& row(const std::string& key) const {
    for (const auto& r : rows)
      if (r.key == key) return r;
    FAIL("no row for " << key);
    throw;
  }
};

/// The example of `spec` on the command line, spelled with `name`.
std::vector<std::string> cli_words(const option_spec& spec, const std::string& name) {
  if (spec.positional()) {
    auto words = split(spec.example, spec.separator);
    words.insert(words.begin(), "--");
    return words;
  }
  if (spec.kind == value_kind::flag) return {name};
  // pytest-gremlins writes its options with '='; the rest take the value as the next word.
  if (name.rfind("--gremlin-", 0) == 0) return {name + "=" + spec.example};
  return {name, spec.example};
}

/// The example of `spec` as a TOML value.
std::string toml_value(const option_spec& spec, bool as_array = false) {
  switch (spec.kind) {
    case value_kind::flag: return spec.inverted ? "false" : "true";  // warmup = false is --no-warmup
    case value_kind::integer:
    case value_kind::number: return spec.example;
    case value_kind::string: return toml_string(spec.example);
    case value_kind::joined:
      if (!as_array) return toml_string(spec.example);
      [[fallthrough]];
    case value_kind::strings:
    case value_kind::integers: {
      std::string out;
      for (const auto& item : split(spec.example, spec.separator))
        out += (out.empty() ? "" : ", ") + (spec.kind == value_kind::integers ? item : toml_string(item));
      return "[" + out + "]";
    }
    case value_kind::env: {
      auto kv = split(spec.example, "=");
      return "{ " + kv.at(0) + " = " + toml_string(kv.at(1)) + " }";
    }
  }
  return "?";
}

/// What `config` must show once the example is given (independent of shown_value()).
std::string expected_value(const option_spec& spec) {
  if (spec.kind == value_kind::flag) return spec.inverted ? "false" : "true";
  return spec.unit.empty() ? spec.example : spec.example + " " + spec.unit;
}

/// The search folder of the configuration file is --rootdir (or --project): given on the
/// command line with `dir`, through an option other than the one under test.
std::vector<std::string> look_in(const option_spec& spec, const std::string& dir) {
  if (spec.key == "rootdir") return {"--project", dir};
  return {"--rootdir", dir};
}

std::string docs_row(const option_spec& spec) {
  std::string flags;
  if (spec.positional()) {
    flags = "`-- CMD...`";
  } else {
    for (const auto& n : spec.names()) flags += (flags.empty() ? "" : ", ") + ("`" + n + "`");
  }
  auto def = default_text(spec);
  return "| `" + spec.key + "` | " + flags + " | " + type_text(spec) + " | `" + (def.empty() ? "\"\"" : def) +
         "` | " + spec.help + " |";
}

}  // namespace

TEST_CASE("options: the table is well formed", "[options]") {
  const auto& table = run_option_table();
  REQUIRE(table.size() >= 36);
  std::set<std::string> keys, names;
  for (const auto& spec : table) {
    INFO("key " << spec.key);
    CHECK(keys.insert(spec.key).second);
    CHECK(spec.key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
    CHECK_FALSE(spec.help.empty());
    for (const auto& n : spec.names()) CHECK(names.insert(n).second);
    // Every option but a flag has a non-default example (used by the docs and the tests below).
    if (spec.kind != value_kind::flag) CHECK_FALSE(spec.example.empty());
    if (spec.kind == value_kind::flag) CHECK(default_text(spec) == (spec.inverted ? "true" : "false"));
    CHECK(find_option(spec.key) == &spec);
  }
  CHECK(config_file_keys().size() == table.size());
  // pytest-gremlins' spellings.
  for (const char* n : {"--gremlin-parallel", "--gremlin-workers", "--gremlin-batch", "--gremlin-batch-size"})
    CHECK(names.count(n) == 1);
  CHECK(find_option("workers")->names() == std::vector<std::string>{"--workers", "--gremlin-workers"});
  CHECK(find_option("quiet")->main_name() == "--quiet");
  CHECK(find_option("command")->positional());
  // The options the issue found without a key have one now.
  for (const char* k : {"max_restarts", "no_retry", "warmup_timeout", "warmup_retries", "error_exit_codes",
                        "signal_is_error", "instrumented_dir", "pytest", "project", "gremlins", "gremlin_ids",
                        "distribution", "manifest"})
    CHECK(keys.count(k) == 1);
  // The choices are the library's names, which it parses back.
  for (const auto& v : find_option("executor")->allowed) CHECK(parse_executor(v).has_value());
  for (const auto& v : find_option("start_method")->allowed) CHECK(parse_start_method(v).has_value());
  for (const auto& v : find_option("distribution")->allowed) CHECK(parse_distribution(v).has_value());
  CHECK(find_option("distribution")->allowed == std::vector<std::string>{"pull", "round-robin", "weighted"});
}

TEST_CASE("options: run_options starts at the table's defaults, the library's where it has them", "[options]") {
  run_options o;
  pool_config pool;
  command_spec cmd;
  CHECK(o.rootdir == ".");
  CHECK_FALSE(o.workers.has_value());
  CHECK_FALSE(o.timeout.has_value());
  CHECK_FALSE(o.fail_under.has_value());
  CHECK(o.batch_size == 10);
  CHECK(o.batch_size == pool.batch_size);
  CHECK(o.max_restarts == 16);
  CHECK(o.max_restarts == pool.max_restarts);
  CHECK(o.warmup_timeout == 60);
  CHECK(o.warmup_retries == 2);
  CHECK(o.max_reuse == 0);
  CHECK(o.error_exit_codes == std::vector<int>{2, 3, 4, 5});
  CHECK(o.error_exit_codes == std::vector<int>(cmd.error_exit_codes.begin(), cmd.error_exit_codes.end()));
  CHECK(o.distribution == "pull");
  CHECK(o.executor == "auto");
  CHECK(o.start_method == "auto");
  CHECK_FALSE(o.no_warmup);
  CHECK_FALSE(o.no_retry);
  CHECK_FALSE(o.signal_is_error);
  CHECK_FALSE(o.parallel);
  CHECK_FALSE(o.pytest);
  CHECK(o.command.empty());
  CHECK(o.env.empty());
  CHECK(default_text(*find_option("timeout")) == "adaptive");
  CHECK(default_text(*find_option("warmup_timeout")) == "60 s");
  CHECK(default_text(*find_option("error_exit_codes")) == "2,3,4,5");
  CHECK(default_text(*find_option("workers")) == "(CPU count when parallel)");
  CHECK(default_text(*find_option("warmup")) == "true");
}

TEST_CASE("options: every option, given on the command line, reaches its field (source: command line)",
          "[options]") {
  scratch_dir empty;  // holds no configuration file
  for (const auto& spec : run_option_table()) {
    for (const auto& name : spec.names()) {
      INFO("key " << spec.key << ", spelled " << name);
      auto args = look_in(spec, empty.path());
      if (spec.key == "project" || spec.key == "rootdir") args.clear();  // their example is the folder
      auto words = cli_words(spec, name);
      args.insert(spec.positional() ? args.end() : args.begin(), words.begin(), words.end());
      parsed_run run(args);
      run.merged();
      CHECK(run.used_file.empty());
      const auto& row = run.row(spec.key);
      CHECK(row.source == "command line");
      CHECK(row.value == expected_value(spec));
      CHECK(row.value != default_text(spec));
      CHECK(shown_value(spec, *run.opts) == expected_value(spec));
    }
  }
}

TEST_CASE("options: every option, given in gremlin-actors.toml, reaches the same field with the file's line",
          "[options]") {
  for (const auto& spec : run_option_table()) {
    std::vector<std::pair<std::string, std::string>> spellings = {{spec.key, toml_value(spec)}};
    auto dashed = spec.key;
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    if (dashed != spec.key) spellings.push_back({dashed, toml_value(spec)});
    if (spec.kind == value_kind::joined) spellings.push_back({spec.key, toml_value(spec, true)});
    for (const auto& [key, value] : spellings) {
      INFO("key " << spec.key << ", written " << key << " = " << value);
      scratch_dir dir;
      dir.write("gremlin-actors.toml", "# settings of this project\n\n" + key + " = " + value + "\n");
      parsed_run run(look_in(spec, dir.path()));
      run.merged();
      REQUIRE(run.used_file == dir.path() + "/gremlin-actors.toml");
      const auto& row = run.row(spec.key);
      CHECK(row.source == run.used_file + ":3");
      CHECK(row.value == expected_value(spec));
      CHECK(shown_value(spec, *run.opts) == expected_value(spec));
      // The same value as the command line gives.
      auto words = cli_words(spec, spec.main_name());
      auto args = look_in(spec, dir.path());
      args.insert(spec.positional() ? args.end() : args.begin(), words.begin(), words.end());
      parsed_run from_cli(args);
      CHECK(shown_value(spec, *from_cli.opts) == row.value);
    }
  }
}

TEST_CASE("options: the new keys set the very fields run uses, the command line wins", "[options]") {
  scratch_dir dir;
  dir.write("gremlin-actors.toml",
            "max_restarts = 3\n"                 // 1
            "no-retry = true\n"                  // 2
            "warmup_timeout = 7.5\n"             // 3
            "warmup_retries = 0\n"               // 4
            "error_exit_codes = [1, 9]\n"        // 5
            "signal_is_error = true\n"           // 6
            "instrumented_dir = \"inst\"\n"      // 7
            "pytest = true\n"                    // 8
            "project = \"py\"\n"                 // 9
            "workers = 4\n"                      // 10
            "warmup = false\n"                   // 11
            "env = { B = \"2\", A = \"1\" }\n"   // 12
            "worker_command = [\"python3\", \"-m\", \"w\"]\n");  // 13
  {
    parsed_run run({"--rootdir", dir.path()});
    run.merged();
    const auto& o = *run.opts;
    CHECK(o.max_restarts == 3);
    CHECK(o.no_retry);
    CHECK(o.warmup_timeout == 7.5);
    CHECK(o.warmup_retries == 0);
    CHECK(o.error_exit_codes == std::vector<int>{1, 9});
    CHECK(o.signal_is_error);
    CHECK(o.instrumented_dir == "inst");
    CHECK(o.pytest);
    CHECK(o.project == "py");
    CHECK(o.workers == std::optional<std::uint32_t>(4));
    CHECK(o.no_warmup);
    CHECK(o.env == std::vector<std::string>{"A=1", "B=2"});
    CHECK(o.worker_command == "python3 -m w");
    CHECK(run.row("warmup_timeout").value == "7.5 s");
    CHECK(run.row("warmup_retries").source == run.used_file + ":4");
    CHECK(run.row("batch_size").source == "default");
    CHECK(run.row("batch_size").value == "10");
  }
  {
    parsed_run run({"--rootdir", dir.path(), "--max-restarts", "5", "--error-exit-codes", "3",
                    "--gremlin-workers=2", "--env", "C=3"});
    run.merged();
    const auto& o = *run.opts;
    CHECK(o.max_restarts == 5);
    CHECK(o.error_exit_codes == std::vector<int>{3});
    CHECK(o.workers == std::optional<std::uint32_t>(2));
    CHECK(o.env == std::vector<std::string>{"C=3"});  // the command line's --env replaces the table
    CHECK(o.no_retry);                                // still from the file
    CHECK(run.row("max_restarts").source == "command line (over " + run.used_file + ":1)");
    CHECK(run.row("workers").source == "command line (over " + run.used_file + ":10)");
    CHECK(run.row("no_retry").source == run.used_file + ":2");
  }
}

TEST_CASE("options: a gremlin source on the command line drops the file's other sources", "[options]") {
  scratch_dir dir;
  dir.write("gremlin-actors.toml", "manifest = \"gremlins.json\"\npytest = true\nworkers = 2\n");
  parsed_run run({"--rootdir", dir.path(), "--gremlins", "a,b"});
  run.merged();
  CHECK(run.opts->gremlins_csv == "a,b");
  CHECK(run.opts->manifest.empty());
  CHECK(run.opts->pytest);  // with --pytest, --gremlins chooses among its gremlins: kept
  CHECK(run.opts->workers == std::optional<std::uint32_t>(2));  // not in the group: applied
  CHECK(run.row("manifest").source ==
        "default (" + run.used_file + ":1 dropped: --gremlins on the command line)");
  CHECK(run.row("pytest").source == run.used_file + ":2");
  // --manifest on the command line drops the file's pytest (where gremlins come from).
  parsed_run manifest({"--rootdir", dir.path(), "--manifest", "m.json"});
  manifest.merged();
  CHECK_FALSE(manifest.opts->pytest);
  CHECK(manifest.row("pytest").source == "default (" + manifest.used_file + ":2 dropped: --manifest on the command line)");
  // Without a command-line source, the file's manifest is used.
  parsed_run plain({"--rootdir", dir.path()});
  plain.merged();
  CHECK(plain.opts->manifest == "gremlins.json");
  CHECK(plain.row("manifest").source == plain.used_file + ":1");

  // A real run: the file's manifest does not exist, but --gremlins replaces it.
  scratch_dir project;
  project.write("gremlin-actors.toml", "manifest = \"no-such-manifest.json\"\n");
  auto r = run_cli({"run", "--gremlins", "g1", "--", "true"}, limit, {project.path(), {}});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out + r.err, !Catch::Contains("give exactly one"));
}

TEST_CASE("options: `gremlin-actors config` lists every key with its value and source", "[options]") {
  SECTION("no file: every key at its default") {
    scratch_dir dir;
    auto r = run_cli({"config"}, limit, {dir.path(), {}});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("# configuration file: (none)\n"));
    for (const auto& spec : run_option_table()) {
      auto def = default_text(spec);
      CHECK_THAT(r.out, Catch::Contains("\n" + spec.key + " = " + (def.empty() ? "\"\"" : def) + "    # default\n"));
    }
    CHECK_THAT(r.out, Catch::Contains("\nmax_restarts = 16    # default\n"));
    CHECK_THAT(r.out, Catch::Contains("\nerror_exit_codes = 2,3,4,5    # default\n"));
  }
  SECTION("a file with every key: each from its line") {
    scratch_dir dir;
    std::string text;
    std::map<std::string, int> line_of;
    int line = 0;
    for (const auto& spec : run_option_table()) {
      text += spec.key + " = " + toml_value(spec) + "\n";
      line_of[spec.key] = ++line;
    }
    dir.write("gremlin-actors.toml", text);
    auto r = run_cli({"config"}, limit, {dir.path(), {}});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("# configuration file: gremlin-actors.toml\n"));
    std::size_t rows = 0;
    for (const auto& spec : run_option_table()) {
      INFO("key " << spec.key);
      CHECK_THAT(r.out, Catch::Contains("\n" + spec.key + " = " + expected_value(spec) + "    # gremlin-actors.toml:" +
                                        std::to_string(line_of[spec.key]) + "\n"));
      ++rows;
    }
    CHECK(rows == run_option_table().size());
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == static_cast<long>(run_option_table().size() + 1));
  }
  SECTION("on the command line: source command line") {
    scratch_dir dir;
    auto r = run_cli({"config", "--max-restarts", "4", "--no-retry", "--warmup-retries", "0"}, limit, {dir.path(), {}});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("\nmax_restarts = 4    # command line\n"));
    CHECK_THAT(r.out, Catch::Contains("\nno_retry = true    # command line\n"));
    CHECK_THAT(r.out, Catch::Contains("\nwarmup_retries = 0    # command line\n"));
  }
}

TEST_CASE("options: docs/configuration.md lists exactly the table's keys, as the table has them", "[options]") {
  auto text = read_text(std::string(GREMLINS_SOURCE_DIR) + "/" + "docs/configuration.md");
  REQUIRE_FALSE(text.empty());
  std::map<std::string, std::string> documented;  // key -> its row
  for (const auto& line : split(text, "\n")) {
    if (line.rfind("| `", 0) != 0) continue;
    auto end = line.find('`', 3);
    REQUIRE(end != std::string::npos);
    documented[line.substr(3, end - 3)] = line;
  }
  std::string expected_table;
  bool same = documented.size() == run_option_table().size();
  for (const auto& spec : run_option_table()) {
    expected_table += docs_row(spec) + "\n";
    auto it = documented.find(spec.key);
    same = same && it != documented.end() && it->second == docs_row(spec);
  }
  // On a difference, the rows as they should be are written beside the build, ready to paste.
  auto generated = std::string(GREMLINS_BINARY_DIR) + "/configuration-rows.txt";
  if (!same) std::ofstream(generated) << expected_table;
  INFO("the rows docs/configuration.md should have are in " << generated);
  for (const auto& spec : run_option_table()) {
    INFO("key " << spec.key);
    REQUIRE(documented.count(spec.key) == 1);
    CHECK(documented.at(spec.key) == docs_row(spec));
  }
  for (const auto& [key, row] : documented) {
    INFO("docs/configuration.md lists " << key);
    CHECK(find_option(key) != nullptr);
  }
  CHECK(documented.size() == run_option_table().size());
}

TEST_CASE("options: out-of-range values are refused on the command line as in the file", "[options]") {
  auto cli_error = [](std::vector<std::string> args) -> std::string {
    try {
      parsed_run run(std::move(args));
    } catch (const CLI::ParseError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  CHECK(cli_error({"--workers", "4294967298"}) == "--workers: must be from 0 to 1024, not 4294967298");
  CHECK(cli_error({"--gremlin-workers=-1"}) == "--workers: must be at least 0, not -1");
  CHECK(cli_error({"--gremlin-workers=0"}) == "(accepted)");  // remote workers only: run needs --nodes
  CHECK(cli_error({"--workers", "1024"}) == "(accepted)");
  CHECK(cli_error({"--error-exit-codes", "2,256"}) == "--error-exit-codes: must be from 0 to 255, not 256");
  CHECK(cli_error({"--error-exit-codes=-1"}) == "--error-exit-codes: must be at least 0, not -1");
  CHECK(cli_error({"--error-exit-codes", "0,255"}) == "(accepted)");
  CHECK(cli_error({"--max-restarts", "4294967296"}) == "--max-restarts: must be from 0 to 4294967295, not 4294967296");
  CHECK(cli_error({"--timeout", "0"}) == "--timeout: must be more than 0, not 0");
  CHECK(cli_error({"--timeout", "86401"}) == "--timeout: must be more than 0 and at most 86400, not 86401");
  CHECK(cli_error({"--fail-under", "100.5"}) == "--fail-under: must be from 0 to 100, not 100.5");
  CHECK(cli_error({"--distribution", "random"}) ==
        "--distribution: must be one of pull, round-robin, weighted, not 'random'");

  scratch_dir dir;
  auto witness = dir / "ran";
  SECTION("from the file: refused with file:line, nothing runs") {
    dir.write("gremlin-actors.toml", "# too many\nworkers = 4294967298\n");
    auto r = run_cli({"run", "--gremlins", "a", "--", "touch", witness}, limit, {dir.path(), {}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("gremlin-actors.toml:2: key 'workers' must be from 0 to 1024, not 4294967298"));
  }
  SECTION("an exit code above 255 in the file") {
    dir.write("gremlin-actors.toml", "error_exit_codes = [2, 300]\n");
    auto r = run_cli({"run", "--gremlins", "a", "--", "touch", witness}, limit, {dir.path(), {}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("gremlin-actors.toml:1: key 'error_exit_codes' item 2 must be from 0 to 255, not 300"));
  }
  SECTION("on the command line") {
    auto r = run_cli({"run", "--error-exit-codes", "2,300", "--gremlins", "a", "--", "touch", witness}, limit,
                     {dir.path(), {}});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--error-exit-codes: must be from 0 to 255, not 300"));
  }
  CHECK_FALSE(exists(witness));
}

TEST_CASE("options: docs/exit-codes.md lists exactly cli/exit_codes.hpp's codes, and the table's ranges",
          "[options]") {
  auto text = read_text(std::string(GREMLINS_SOURCE_DIR) + "/" + "docs/exit-codes.md");
  REQUIRE_FALSE(text.empty());
  // §1's table: "| code | meaning |" up to the next heading.
  auto from = text.find("## 1. `gremlin-actors`");
  auto to = text.find("### 1.1", from);
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  std::set<int> documented;
  for (const auto& line : split(text.substr(from, to - from), "\n"))
    if (line.size() > 2 && line[0] == '|' && std::isdigit(static_cast<unsigned char>(line[2])))
      documented.insert(std::stoi(line.substr(2)));
  const std::set<int> codes{exit_ok,         exit_bad_input, exit_below_threshold, exit_baseline_failed,
                            exit_hangup,     exit_interrupted, exit_output_gone,   exit_terminated};
  CHECK(documented == codes);
  // Every way a run is stopped has its own code, and it is one of them.
  std::set<int> stops;
  for (auto c : {stop_cause::sigint, stop_cause::sigterm, stop_cause::sighup, stop_cause::output_gone}) {
    CHECK(codes.count(exit_code_of(c)) == 1);
    stops.insert(exit_code_of(c));
  }
  CHECK(stops.size() == 4);
  CHECK(exit_code_of(stop_cause::sigint) == 130);
  CHECK(exit_code_of(stop_cause::sigterm) == 143);
  CHECK(exit_code_of(stop_cause::sighup) == 129);
  // §1.1 gives the ranges the table checks.
  auto row_at = text.find("| no subcommand, an unknown subcommand");
  REQUIRE(row_at != std::string::npos);
  auto row = text.substr(row_at, text.find('\n', row_at) - row_at);
  for (const char* key : {"workers", "batch_size", "timeout", "warmup_timeout", "fail_under"}) {
    const auto* spec = find_option(key);
    REQUIRE(spec != nullptr);
    REQUIRE(spec->range);
    INFO("key " << key << ", row: " << row);
    CHECK_THAT(row, Catch::Contains(spec->main_name()));
    auto number = [](double x) { return fmt::format("{}", x); };
    if (spec->range->min_excluded)
      CHECK_THAT(row, Catch::Contains("not more than " + number(spec->range->min) + " or above " +
                                      number(spec->range->max)));
    else
      CHECK_THAT(row, Catch::Contains(number(spec->range->min) + "–" + number(spec->range->max)));
  }
}
