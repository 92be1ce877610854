#pragma once
// `gremlin-actors list`: every gremlin of a project (id, file:line, operator, description,
// covering-test count), without testing any. With `--pytest` it runs the adapter's prepare
// step first (instrumentation and the baseline with per-test coverage: the counts are those
// of the sources as they are now); without it, it reads a manifest: `--manifest FILE`, or
// the one the last prepare step left in PROJECT/.gremlins/manifest.json.

#include <cstdio>

#include "cli/run_options.hpp"

namespace CLI {
class App;
}

namespace gremlins::cli {

/// What `list` is told: the run options it shares with `run`, and `--json`.
struct list_command_options {
  run_options run;
  bool json = false;  ///< one JSON document (`gremlin-actors/list/1`) instead of the table
};

/// Declares `list` on `app`, bound to `o`.
CLI::App* add_list_subcommand(CLI::App& app, list_command_options& o);

/// Lists to `out`; messages to `err`. exit_ok; exit_bad_input for a refusal (a missing or bad
/// manifest, bad options); the prepare step's own exit code when it fails (4: baseline).
int list_command(list_command_options& o, const CLI::App& parsed, std::FILE* out = stdout,
                 std::FILE* err = stderr);

}  // namespace gremlins::cli
