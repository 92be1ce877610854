#pragma once
// `gremlin-actors run --pytest`: finds a Python with pytest, runs the adapter's prepare step
// (instrumentation + baseline with coverage), and turns its run.json into the run's inputs.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cli/run_options.hpp"

namespace gremlins {
class process_runner;
}

namespace gremlins::cli {

/// What the prepare step decided.
struct pytest_plan {
  std::string project;                 ///< absolute
  std::string manifest;                ///< .gremlins/manifest.json
  std::string results_dir;             ///< .gremlins
  std::vector<std::string> cold_command;
  std::vector<std::string> worker_command;
  std::string instrumented_dir;
  std::vector<std::pair<std::string, std::string>> env;
  double baseline_ms = 0;
};

/// Outcome of preparing: a plan, or an exit code with the message already printed.
struct pytest_prepared {
  int exit_code = 0;
  pytest_plan plan;
};

/// Runs the prepare step for `opts` (project, python, operators, targets, env) through
/// `runner`; when `interrupted()` says so at the end, it reports nothing and returns
/// exit_interrupted (cli/exit_codes.hpp). First it makes PROJECT/.gremlins and takes an
/// exclusive flock on PROJECT/.gremlins/lock, held until this process exits: a second run on
/// the same project is refused (exit_bad_input, one line naming the first run's pid), and so
/// is a folder that cannot be written (a read-only file system). The prepare step gets the
/// run's --env values (a malformed one is refused first), the adapter first on PYTHONPATH,
/// coverage start-up hooks off, and GREMLIN_OUT_LOCKED=PROJECT/.gremlins (the lock is held).
pytest_prepared prepare_pytest(const run_options& opts, process_runner& runner,
                               const std::function<bool()>& interrupted);

/// The folder holding the gremlins_pytest package, or empty.
std::string find_adapter_dir();

}  // namespace gremlins::cli
