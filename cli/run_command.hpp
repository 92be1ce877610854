#pragma once
// `gremlin-actors run`: options, checks, baseline, run, reports, exit code.

#include "cli/run_options.hpp"

namespace CLI {
class App;
}

namespace gremlins::cli {

/// Exit codes (SPEC §5).
enum exit_code : int { exit_ok = 0, exit_bad_input = 2, exit_below_threshold = 3,
                       exit_baseline_failed = 4, exit_interrupted = 130 };

/// Declares the options of `run` on `app`, writing into `opts`.
void add_run_options(CLI::App& app, run_options& opts);

/// Runs what `opts` says; returns the process exit code.
int run_command(run_options& opts, const CLI::App* parsed);

}  // namespace gremlins::cli
