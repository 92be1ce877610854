#pragma once
// `gremlin-actors node`: a worker node (docs/nodes.md). It listens on --listen HOST:PORT and
// offers --workers N worker slots to coordinators (`gremlin-actors run --nodes HOST:PORT`),
// running the command it was started with (after `--`, --worker-command, or --pytest's) in
// its own checkout. It runs until SIGINT, SIGTERM or SIGHUP, then ends every worker and exits 0.
// Also here: what `run` needs to use nodes (make_remote_config).

#include <string>
#include <vector>

#include "cli/run_options.hpp"
#include "runtime/nodes.hpp"

namespace CLI {
class App;
}

namespace gremlins::cli {

/// Adds the `node` subcommand to `app` (its options live as long as the program).
CLI::App* add_node_subcommand(CLI::App& app);

/// Runs the node of a parsed `node` subcommand; its exit code.
int node_command(const CLI::App* parsed);

/// The remote_config of a `run` (--nodes, --tls-*, --workers 0); throws std::invalid_argument
/// for a bad address or unusable TLS files.
remote_config make_remote_config(const run_options& o);

/// Several refusals as one message: each on its own line.
std::string refusal_lines(const std::vector<std::string>& refusals);

}  // namespace gremlins::cli
