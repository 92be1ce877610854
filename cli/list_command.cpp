#include "cli/list_command.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/config_merge.hpp"
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/pytest_mode.hpp"
#include "cli/stop_watch.hpp"
#include "runtime/formats/console_report.hpp"
#include "runtime/formats/manifest.hpp"
#include "runtime/process/runner.hpp"
#include "runtime/rules/utf8.hpp"

namespace fs = std::filesystem;

namespace gremlins::cli {

namespace {

// The run options that decide which gremlins there are (and, with --pytest, their tests).
std::vector<std::string> list_keys() {
  std::vector<std::string> keys = {"manifest", "pytest", "command", "rootdir", "env", "project",
                                   "python",   "operators", "targets"};
  if (find_option("exclude") != nullptr) keys.emplace_back("exclude");
  return keys;
}

std::string place(const gremlin& g) {
  if (g.file.empty()) return "(no location)";
  return g.line > 0 ? fmt::format("{}:{}", g.file, g.line) : g.file;
}

std::string what(const gremlin& g) {
  if (!g.description.empty()) return g.description;
  if (!g.original.empty()) return g.original + " to " + g.replacement;
  return "";
}

std::string tests_text(const gremlin& g) { return g.has_tests ? std::to_string(g.tests.size()) : "all"; }

std::string table(const std::vector<gremlin>& gs) {
  std::size_t w_id = 2, w_place = 9, w_op = 8, w_tests = 5;
  for (const auto& g : gs) {
    w_id = std::max(w_id, g.id.size());
    w_place = std::max(w_place, place(g).size());
    w_op = std::max(w_op, g.operator_name.size());
    w_tests = std::max(w_tests, tests_text(g).size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>{}}  {}\n", "ID", w_id, "FILE:LINE", w_place,
                                "OPERATOR", w_op, "TESTS", w_tests, "DESCRIPTION");
  std::set<std::string> files;
  std::size_t uncovered = 0, unknown = 0, statics = 0;
  for (const auto& g : gs) {
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {:>{}}  {}\n", g.id, w_id, place(g), w_place, g.operator_name,
                       w_op, tests_text(g), w_tests, what(g));
    if (!g.file.empty()) files.insert(g.file);
    uncovered += g.has_tests && g.tests.empty() ? 1 : 0;
    unknown += g.has_tests ? 0 : 1;
    statics += g.is_static ? 1 : 0;
  }
  out += fmt::format("\n{} in {}: {} covered by a test, {} not covered by any test", plural(gs.size(), "gremlin"),
                     plural(files.size(), "file"), gs.size() - uncovered - unknown, uncovered);
  if (unknown > 0) out += fmt::format(", {} without coverage data (every test runs)", unknown);
  if (statics > 0) out += fmt::format("; {} at import time (static)", statics);
  out += "\n";
  return out;
}

nlohmann::json as_json(const std::vector<gremlin>& gs, const std::string& manifest_path) {
  auto text = [](const std::string& s) { return sanitize_utf8(s); };
  nlohmann::json list = nlohmann::json::array();
  for (const auto& g : gs) {
    nlohmann::json j = {{"id", text(g.id)}, {"static", g.is_static}};
    j["file"] = g.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(text(g.file));
    for (auto [key, value] : {std::pair<const char*, std::int32_t>{"line", g.line}, {"column", g.column},
                              {"end_line", g.end_line}, {"end_column", g.end_column}})
      j[key] = value > 0 ? nlohmann::json(value) : nlohmann::json(nullptr);
    j["operator"] = text(g.operator_name);
    j["description"] = text(what(g));
    j["original"] = text(g.original);
    j["replacement"] = text(g.replacement);
    if (g.has_tests) {
      nlohmann::json tests = nlohmann::json::array();
      for (const auto& t : g.tests) tests.push_back(text(t));
      j["covering_tests"] = g.tests.size();
      j["tests"] = std::move(tests);
    } else {
      j["covering_tests"] = nullptr;  // unknown: every test runs
      j["tests"] = nullptr;
    }
    list.push_back(std::move(j));
  }
  return {{"schema", "gremlin-actors/list/1"}, {"manifest", text(manifest_path)}, {"gremlins", std::move(list)}};
}

// --pytest: the prepare step, stoppable like run's (a signal ends its processes).
int prepare(run_options& o, std::string& manifest_path) {
  stop_watch watch;
  process_runner runner;
  pytest_prepared prepared;
  {
    stop_watch::scoped_target target(watch, [&runner](bool again) { runner.kill_all(again ? SIGKILL : SIGTERM); });
    prepared = prepare_pytest(o, runner, [&watch] { return watch.stopped(); });
  }
  if (watch.stopped()) {
    std::cerr << "gremlin-actors list: interrupted during the prepare step by " << describe(watch.cause()) << "\n";
    return exit_code_of(watch.cause());
  }
  if (prepared.exit_code != exit_ok) return prepared.exit_code;
  manifest_path = prepared.plan.manifest;
  return exit_ok;
}

}  // namespace

CLI::App* add_list_subcommand(CLI::App& app, list_command_options& o) {
  auto* list = app.add_subcommand(
      "list", "List every gremlin (id, file:line, operator, description, covering tests) without testing any");
  add_run_options(*list, o.run, list_keys());
  list->get_option("--manifest")->description(
      "The manifest to list (default: PROJECT/.gremlins/manifest.json, the last prepare step's)");
  list->get_option("--pytest")->description(
      "Run the adapter's prepare step first (instrument, baseline with coverage; no gremlin is tested)");
  list->get_option("--project")->description(
      "The project: whose .gremlins/manifest.json is listed, or that --pytest prepares (default: --rootdir)");
  list->add_flag("--json", o.json, "One JSON document (gremlin-actors/list/1) instead of the table");
  return list;
}

int list_command(list_command_options& o, const CLI::App& parsed, std::FILE* out, std::FILE* err) {
  auto& r = o.run;
  std::string manifest_path;
  try {
    std::string used;
    merge_config_file(r, parsed, used);
    // Only the flag runs the prepare step: `pytest = true` in the file is for `run`.
    const auto* flag = parsed.get_option_no_throw("--pytest");
    r.pytest = flag != nullptr && flag->count() > 0;
  } catch (const std::exception& e) {
    std::fprintf(err, "gremlin-actors list: error: %s\n", e.what());
    return exit_bad_input;
  }
  if (r.pytest) {
    if (!r.manifest.empty()) {
      std::fprintf(err, "gremlin-actors list: error: --pytest makes its own manifest: drop --manifest\n");
      return exit_bad_input;
    }
    std::fflush(out);
    if (int code = prepare(r, manifest_path); code != exit_ok) return code;
  } else {
    if (!r.command.empty()) {
      std::fprintf(err, "gremlin-actors list: error: the arguments after -- are pytest's: they need --pytest\n");
      return exit_bad_input;
    }
    manifest_path = r.manifest;
    if (manifest_path.empty()) {
      auto project = r.project.empty() ? r.rootdir : r.project;
      manifest_path = (fs::path(project) / ".gremlins" / "manifest.json").string();
      std::error_code ec;
      if (!fs::exists(manifest_path, ec)) {
        std::fprintf(err,
                     "gremlin-actors list: error: no manifest: %s does not exist; give --manifest FILE, or "
                     "--pytest to make one (instrumentation and a baseline with coverage; no gremlin is tested)\n",
                     manifest_path.c_str());
        return exit_bad_input;
      }
    }
  }
  manifest m;
  try {
    m = load_manifest(manifest_path);
  } catch (const input_error& e) {
    std::fprintf(err, "gremlin-actors list: error: --manifest: %s\n", e.what());
    return exit_bad_input;
  }
  std::stable_sort(m.gremlins.begin(), m.gremlins.end(), [](const gremlin& a, const gremlin& b) {
    return std::tie(a.file, a.line, a.column, a.id) < std::tie(b.file, b.line, b.column, b.id);
  });
  std::string text = o.json ? as_json(m.gremlins, manifest_path).dump(2) + "\n" : sanitize_utf8(table(m.gremlins));
  if (std::fputs(text.c_str(), out) == EOF || std::fflush(out) != 0) return exit_output_gone;
  return exit_ok;
}

}  // namespace gremlins::cli
