#pragma once
// `gremlin-actors run`: checks, baseline, run, reports, exit code. Its options are the
// table of cli/options.hpp.

#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/run_options.hpp"

namespace CLI {
class App;
}

namespace gremlins::cli {

/// Runs what `opts` says (declared on `parsed` by add_run_options, cli/options.hpp); returns
/// the process exit code (cli/exit_codes.hpp).
int run_command(run_options& opts, const CLI::App* parsed);

}  // namespace gremlins::cli
