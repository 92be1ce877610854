// gremlin-actors: the command line. `run` tests gremlins, `report` re-renders a saved
// results file, `config` shows the effective configuration. Every refusal exits 2.

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/run_command.hpp"

int main(int argc, char** argv) {
  using namespace gremlins::cli;
  // The runtime decides which gremlin is active; an inherited one would corrupt the baseline.
  unsetenv("ACTIVE_GREMLIN");
  CLI::App app{"gremlin-actors: runs mutation-testing gremlins in parallel on an actor runtime"};
  app.set_version_flag("--version", std::string("gremlin-actors ") + GREMLINS_VERSION);
  app.require_subcommand(1);
  run_options opts;
  auto* run = app.add_subcommand("run", "Run the baseline, then test every gremlin");
  add_run_options(*run, opts);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (run->parsed()) return run_command(opts, run);
  return 2;
}
