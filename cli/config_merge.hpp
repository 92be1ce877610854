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

/// Applies the project's configuration file (found in opts.project, else opts.rootdir) to
/// `opts` for every option of the table (cli/options.hpp) the command line (`app`, declared
/// by add_run_options) did not give. A member of a group given on the command line (the
/// sources of gremlins: --manifest, --gremlins, --gremlin-ids, --pytest) drops the file's other
/// members. Throws config_error naming file:line and key for a bad value. Returns every option,
/// in table order, with its effective value and source (docs/configuration.md).
std::vector<effective_setting> merge_config_file(run_options& opts, const CLI::App& app,
                                                 std::string& used_file);

}  // namespace gremlins::cli
