#pragma once
// `gremlin-actors show ID…`: what the last results say of each gremlin (status, killing test,
// covering tests) and its unified diff against the source; `gremlin-actors apply ID`: the
// mutant written into the working tree. Both read a results file (`--results FILE`, default
// PROJECT/.gremlins/results.json) and refuse, before doing anything, ids it does not have.

#include <cstdio>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace gremlins::cli {

/// What `show` and `apply` are told.
struct saved_gremlin_options {
  std::vector<std::string> ids;  ///< show: ids or glob patterns (`calc_*`); apply: one id
  std::string results;           ///< the results file; default PROJECT/.gremlins/results.json
  std::string project = ".";     ///< where .gremlins is
  std::string rootdir;           ///< where the sources are now (default: the file's "rootdir")
  bool no_color = false;
};

/// Where the sources of the results are: `--rootdir` when given; else, for the default results
/// file, the project that holds it (a moved or copied checkout is its own); else the results'
/// recorded `rootdir`.
std::string sources_root(const saved_gremlin_options& o, const std::string& recorded);

/// Declares `show` / `apply` on `app`, bound to `o`.
CLI::App* add_show_subcommand(CLI::App& app, saved_gremlin_options& o);
CLI::App* add_apply_subcommand(CLI::App& app, saved_gremlin_options& o);

/// exit_ok, or exit_bad_input (no results file, a bad one, unknown ids: all named).
int show_command(const saved_gremlin_options& o, std::FILE* out = stdout, std::FILE* err = stderr);

/// exit_ok once the file is written; exit_bad_input when the id is unknown, the file changed
/// since the run (its SHA-256 is not the one the results recorded), the results recorded no
/// digest of it, or the mutation does not fit the file; nothing is written then.
int apply_command(const saved_gremlin_options& o, std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace gremlins::cli
