#pragma once
// `gremlin-actors report RESULTS.json`: the console, elements and HTML reports again, from a
// saved results file, without running anything.

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>

namespace gremlins::cli {

/// What `gremlin-actors report` is told.
struct report_command_options {
  std::string results_file;      ///< the --json file of an earlier run
  std::string json;              ///< write the results JSON again here
  std::string report_elements;   ///< write the mutation-testing-elements report here
  std::string report_html;       ///< write the HTML report here
  std::string rootdir;           ///< where the sources are now; default: the file's "rootdir"
  std::optional<double> fail_under;  ///< exit_below_threshold when the score is below
  bool show_all = false;
  bool no_color = false;
  bool quiet = false;            ///< no console report
  std::size_t max_survivors = 20;
};

/// Renders what `o` asks for; the console report goes to `out`, errors to `err`.
/// Returns exit_ok, exit_bad_input for a bad results file or a report that cannot be written
/// (message names the file and the field), or exit_below_threshold when the score is below
/// `fail_under` (cli/exit_codes.hpp).
int report_command(const report_command_options& o, std::FILE* out = stdout,
                   std::FILE* err = stderr);

}  // namespace gremlins::cli
