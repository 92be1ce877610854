#pragma once
// The summary printed at the end of a run (and by `gremlin-actors report`).

#include <cstddef>
#include <set>
#include <string>

#include "runtime/formats/run_report.hpp"

namespace gremlins {

/// How the console report looks.
struct console_options {
  bool color = false;              ///< ANSI colours (off for NO_COLOR, --no-color, non-terminals)
  std::size_t max_survivors = 20;  ///< survivors (and errors, timeouts, uncovered) listed; 0 = all
  bool show_all = false;           ///< list everything, whatever max_survivors says
  bool mention_unplaced = false;   ///< say how many gremlins the elements/HTML report cannot place
  bool diffs = true;               ///< under each survivor and uncovered gremlin, its line and mutant
  std::set<std::string> changed_files;  ///< manifest paths whose file changed since the run: no diff
};

/// Counts per status, the score with its definition, wall time and rate, then the errors with
/// their reason, the timeouts, the survivors and the uncovered gremlins, each as
/// `  src/calc.py:12  < to <=  (comparison)  [id]`, grouped by file and sorted by line. Under
/// each survivor and uncovered gremlin (with `diffs`), the source line it mutates and the line
/// as the gremlin makes it, as `    -<line>` / `    +<line>`, read from `rootdir` + `file`
/// (apply_mutant, unified_diff.hpp); up to 4 lines a side, then how many more. A gremlin whose
/// place cannot be checked against its `original` text gets a note instead, one whose file
/// cannot be read or whose manifest entry has no column or original text gets nothing.
std::string render_console_report(const run_report& report, const console_options& options);

/// "1 gremlin", "2 gremlins", "0 files": a count with its noun; `many` defaults to `one` + "s".
std::string plural(std::size_t n, const std::string& one, const std::string& many = {});

/// The one-line reason of an error: the first non-blank line of its output.
std::string first_line(const std::string& text);

}  // namespace gremlins
