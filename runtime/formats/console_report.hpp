#pragma once
// The summary printed at the end of a run (and by `gremlin-actors report`).

#include <cstddef>
#include <string>

#include "runtime/formats/run_report.hpp"

namespace gremlins {

/// How the console report looks.
struct console_options {
  bool color = false;              ///< ANSI colours (off for NO_COLOR, --no-color, non-terminals)
  std::size_t max_survivors = 20;  ///< survivors (and errors, timeouts, uncovered) listed; 0 = all
  bool show_all = false;           ///< list everything, whatever max_survivors says
  bool mention_unplaced = false;   ///< say how many gremlins the elements/HTML report cannot place
};

/// Counts per status, the score with its definition, wall time and rate, then the errors with
/// their reason, the timeouts, the survivors and the uncovered gremlins, each as
/// `  src/calc.py:12  < to <=  (comparison)  [id]`, grouped by file and sorted by line.
std::string render_console_report(const run_report& report, const console_options& options);

/// The one-line reason of an error: the first non-blank line of its output.
std::string first_line(const std::string& text);

}  // namespace gremlins
