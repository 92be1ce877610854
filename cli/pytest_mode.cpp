// The pytest adapter is a Python package (adapters/pytest); this side only finds an
// interpreter that can import pytest, makes PROJECT/.gremlins and locks it for the run, calls
// `python -m gremlins_pytest prepare` (with the run's --env values), and reads the run.json it
// writes. The exit codes of prepare are gremlin-actors' own (cli/exit_codes.hpp): 0 ready,
// 2 bad usage, 4 baseline failed.

#include "cli/pytest_mode.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "runtime/process/runner.hpp"

namespace fs = std::filesystem;

namespace gremlins::cli {

namespace {

// coverage.py's and pytest-cov's process start-up hooks, off (empty is what both treat as
// unset): no Python this side starts measures coverage or writes coverage files.
const std::vector<std::pair<std::string, std::string>>& no_coverage_env() {
  static const std::vector<std::pair<std::string, std::string>> env = {
      {"COVERAGE_PROCESS_START", ""}, {"COV_CORE_SOURCE", ""}, {"COV_CORE_CONFIG", ""}, {"COV_CORE_DATAFILE", ""}};
  return env;
}

bool has_pytest(process_runner& runner, const std::string& python) {
  process_spec spec;
  spec.argv = {python, "-c", "import pytest"};
  spec.env = no_coverage_env();
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

// The locks this process holds, by folder: kept open (and locked) until the process exits.
std::map<std::string, int>& held_locks() {
  static std::map<std::string, int> locks;
  return locks;
}

// Makes `dir` and takes an exclusive flock on dir/lock for the life of this process, writing
// our pid into it. Empty on success, else the one-line reason (read-only file system, another
// run holding the lock).
std::string lock_results_dir(const std::string& dir) {
  if (held_locks().count(dir)) return {};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot write " + dir + ": " + ec.message() + " (the project must be on a writable file system: gremlin-actors keeps its instrumented copy and results there)";
  auto path = dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot write " + path + ": " + std::strerror(errno) + " (the project must be on a writable file system: gremlin-actors keeps its instrumented copy and results there)";
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[64] = {};
    auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    if (err != EWOULDBLOCK) return "cannot lock " + path + ": " + std::strerror(err);
    return "another gremlin-actors run (pid " + (holder.empty() ? std::string("?") : holder) + ") is using " + dir +
           ": wait for it to finish (two runs on one project would share its instrumented copy)";
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    ::close(fd);
    return "cannot write " + path + ": " + std::strerror(err);
  }
  held_locks()[dir] = fd;
  return {};
}

// `text` without the lines equal to `line`.
std::string without_line(const std::string& text, const std::string& line) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, end - start, line) != 0) out.append(text, start, end + 1 - start);
    start = end + 1;
  }
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
  // The run's --env values reach the prepare step (and so the baseline) too.
  std::vector<std::pair<std::string, std::string>> user_env;
  for (const auto& kv : o.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return fail(exit_bad_input, "--env: expected KEY=VALUE, got '" + kv + "'");
    user_env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  auto out_dir = project + "/.gremlins";
  if (auto refused = lock_results_dir(out_dir); !refused.empty()) return fail(exit_bad_input, refused);
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
  if (!o.exclude.empty()) {
    spec.argv.emplace_back("--exclude");
    spec.argv.insert(spec.argv.end(), o.exclude.begin(), o.exclude.end());
  }
  // What follows `--` is pytest's own arguments: prepare puts them into run.json's pytest_args,
  // so the baseline, the coverage, the warm workers and the cold runs all use them.
  if (!o.command.empty()) {
    spec.argv.emplace_back("--");
    spec.argv.insert(spec.argv.end(), o.command.begin(), o.command.end());
  }
  const char* inherited_pp = std::getenv("PYTHONPATH");
  std::string pp = inherited_pp ? inherited_pp : "";
  spec.env = user_env;
  for (const auto& [k, v] : user_env)
    if (k == "PYTHONPATH") pp = v;
  // The adapter first; no coverage hooks; the lock on out_dir is ours, for the whole run.
  spec.env.emplace_back("PYTHONPATH", adapter + (pp.empty() ? "" : ":" + pp));
  spec.env.insert(spec.env.end(), no_coverage_env().begin(), no_coverage_env().end());
  spec.env.emplace_back("GREMLIN_OUT_LOCKED", out_dir);
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
  // prepare prints the path of run.json on its standard output for a caller that reads it;
  // this caller knows where it is (out_dir), so that line is not echoed.
  if (!o.quiet) std::cerr << without_line(e.output, out_dir + "/run.json");
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
