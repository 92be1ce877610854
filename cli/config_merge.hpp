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
  std::string source;  ///< "default", "command line", "gremlin-actors.toml:3",
                       ///< "pyproject.toml:14 [tool.gremlin-actors]", "... (over ...)"
};

/// Applies the project's configuration file (found in opts.project, else opts.rootdir) to
/// `opts` for every option of the table (cli/options.hpp) the command line (`app`, declared
/// by add_run_options) did not give; ours ([tool.gremlin-actors], gremlin-actors.toml) wins
/// over pyproject.toml's [tool.pytest-gremlins]. An option given on the command line drops
/// the file's values of the options it shares a group with (a list of gremlins: --manifest,
/// --gremlins, --gremlin-ids; where they come from: --manifest, --pytest). Throws config_error naming file:line and key for a bad value. Returns every option,
/// in table order, with its effective value and source (docs/configuration.md).
std::vector<effective_setting> merge_config_file(run_options& opts, const CLI::App& app,
                                                 std::string& used_file);

}  // namespace gremlins::cli
