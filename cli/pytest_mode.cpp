// The pytest adapter is a Python package (adapters/pytest); this side only finds an
// interpreter that can import pytest, calls `python -m gremlins_pytest prepare`, and reads the
// run.json it writes. The exit codes of prepare are gremlin-actors' own (cli/exit_codes.hpp):
// 0 ready, 2 bad usage, 4 baseline failed.

#include "cli/pytest_mode.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "runtime/process/runner.hpp"

namespace fs = std::filesystem;

namespace gremlins::cli {

namespace {

bool has_pytest(process_runner& runner, const std::string& python) {
  process_spec spec;
  spec.argv = {python, "-c", "import pytest"};
  auto e = runner.run_to_end(spec, std::chrono::seconds(60));
  return e.spawn_error.empty() && e.exit_code == 0;
}

// Debian's python3 has pytest; a python3 earlier on PATH (pyenv) may not.
std::string find_python(process_runner& runner, const run_options& o, std::string& tried) {
  std::vector<std::string> candidates;
  if (!o.python.empty()) candidates.push_back(o.python);
  else candidates = {"python3", "/usr/bin/python3", "python"};
  for (const auto& py : candidates) {
    if (has_pytest(runner, py)) return py;
    tried += (tried.empty() ? "" : ", ") + py;
  }
  return {};
}

std::vector<std::string> string_list(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  for (const auto& x : j.at(key)) out.push_back(x.get<std::string>());
  return out;
}

}  // namespace

std::string find_adapter_dir() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("GREMLIN_ADAPTER_DIR")) dirs.emplace_back(env);
  dirs.emplace_back(std::string(GREMLINS_SOURCE_DIR) + "/adapters/pytest");
  dirs.emplace_back(std::string(GREMLINS_DATA_DIR) + "/adapters/pytest");
  for (const auto& d : dirs)
    if (fs::exists(d + "/gremlins_pytest/__init__.py")) return d;
  return {};
}

pytest_prepared prepare_pytest(const run_options& o, process_runner& runner,
                               const std::function<bool()>& interrupted) {
  pytest_prepared out;
  auto fail = [&](int code, const std::string& msg) {
    if (interrupted()) {
      out.exit_code = exit_interrupted;
      return out;
    }
    std::cerr << "gremlin-actors: " << (code == exit_bad_input ? "error: " : "") << msg << "\n";
    out.exit_code = code;
    return out;
  };
  auto project = o.project.empty() ? o.rootdir : o.project;
  std::error_code ec;
  if (!fs::is_directory(project, ec)) return fail(exit_bad_input, "--project: " + project + " is not a directory");
  project = fs::absolute(project).lexically_normal().string();
  if (!project.empty() && project.back() == '/' && project.size() > 1) project.pop_back();
  auto adapter = find_adapter_dir();
  if (adapter.empty())
    return fail(exit_bad_input, "the pytest adapter (gremlins_pytest) was not found; set GREMLIN_ADAPTER_DIR");
  std::string tried;
  auto python = find_python(runner, o, tried);
  if (python.empty())
    return fail(exit_bad_input, "no Python that can import pytest (tried " + tried +
                     "); install python3-pytest or pass --python /usr/bin/python3");
  auto out_dir = project + "/.gremlins";
  process_spec spec;
  spec.argv = {python, "-m", "gremlins_pytest", "prepare", "--project", project, "--out", out_dir};
  if (!o.operators.empty()) {
    std::string ops;
    for (const auto& op : o.operators) ops += (ops.empty() ? "" : ",") + op;
    spec.argv.insert(spec.argv.end(), {"--operators", ops});
  }
  if (!o.targets.empty()) {
    spec.argv.emplace_back("--targets");
    spec.argv.insert(spec.argv.end(), o.targets.begin(), o.targets.end());
  }
  const char* pp = std::getenv("PYTHONPATH");
  spec.env = {{"PYTHONPATH", adapter + (pp && *pp ? ":" + std::string(pp) : "")}};
  spec.cwd = project;
  spec.output_tail_bytes = 256 * 1024;
  auto e = runner.run_to_end(spec, std::chrono::minutes(30));
  if (!e.spawn_error.empty()) return fail(exit_bad_input, "could not run " + python + ": " + e.spawn_error);
  if (e.exit_code != exit_ok) {
    if (interrupted()) return fail(exit_interrupted, "");
    std::cerr << e.output;
    if (e.exit_code == exit_bad_input) return fail(exit_bad_input, "the pytest adapter refused the project (see above)");
    return fail(exit_baseline_failed, "the baseline (tests with no gremlin active) did not pass; nothing else was run.");
  }
  if (!o.quiet) std::cerr << e.output;
  try {
    std::ifstream in(out_dir + "/run.json");
    auto run = nlohmann::json::parse(in);
    out.plan.project = run.at("project").get<std::string>();
    out.plan.manifest = run.at("manifest").get<std::string>();
    out.plan.results_dir = out_dir;
    out.plan.cold_command = string_list(run, "cold_command");
    out.plan.worker_command = string_list(run, "worker_command");
    out.plan.instrumented_dir = run.at("instrumented_dir").get<std::string>();
    for (const auto& [k, v] : run.at("env").items()) out.plan.env.emplace_back(k, v.get<std::string>());
    out.plan.baseline_ms = run.value("baseline_ms", 0.0);
  } catch (const std::exception& ex) {
    return fail(exit_bad_input, out_dir + "/run.json: " + ex.what());
  }
  return out;
}

}  // namespace gremlins::cli
