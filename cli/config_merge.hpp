#pragma once
// Where each `run` option comes from: the default, the configuration file
// ([tool.gremlin-actors] in pyproject.toml, or gremlin-actors.toml), or the command line,
// which wins.

#include <string>
#include <utility>
#include <vector>

#include "cli/run_options.hpp"

namespace CLI {
class App;
}

namespace gremlins::cli {

/// One option's effective value and its origin, for `gremlin-actors config`.
struct effective_setting {
  std::string key;
  std::string value;
  std::string source;  ///< "default", "command line" or "pyproject.toml:14"
};

/// Applies the project's configuration file to `opts` for every option the command line
/// (`app`) did not give. Throws config_error naming file:line and key for a bad value.
/// Returns every option with its effective value and source.
std::vector<effective_setting> merge_config_file(run_options& opts, const CLI::App& app,
                                                 std::string& used_file);

}  // namespace gremlins::cli
