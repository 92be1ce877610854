#pragma once
// The exit codes of gremlin-actors, in one place (docs/exit-codes.md). Every `return` of a
// command and every exit of main() uses these names, never a number.

namespace gremlins::cli {

enum exit_code : int {
  exit_ok = 0,                ///< done; the score is at least --fail-under when given
  exit_bad_input = 2,         ///< bad option, configuration, manifest or report path: nothing ran
  exit_below_threshold = 3,   ///< the score is below --fail-under, or no gremlin got a verdict
  exit_baseline_failed = 4,   ///< the tests fail with no gremlin active: nothing else ran
  exit_hangup = 129,          ///< SIGHUP (the terminal was closed); results so far are kept
  exit_interrupted = 130,     ///< Ctrl-C (SIGINT); results so far are kept
  exit_output_gone = 141,     ///< stdout was closed and no results file was asked for: stopped
  exit_terminated = 143,      ///< SIGTERM; results so far are kept
};

}  // namespace gremlins::cli
