#pragma once
// `--fail-under X` of `run` and `report`: the score against X, as both are shown (2 decimals),
// and a run in which no gremlin got a verdict fails it (its score is not a number).

#include <cmath>

#include "runtime/rules/score.hpp"

namespace gremlins::cli {

/// The outcome of --fail-under.
struct fail_under_check {
  bool no_verdict = false;  ///< no gremlin zapped, timed out, survived or was uncovered
  bool below = false;       ///< the shown score is below the shown threshold
  double score = 0;         ///< the score rounded to 2 decimals, as shown
  double threshold = 0;     ///< X rounded to 2 decimals, as shown
  bool failed() const { return no_verdict || below; }
};

/// A value as `{:.2f}` shows it.
inline double shown_2_decimals(double x) { return std::round(x * 100.0) / 100.0; }

/// Checks `s` against `--fail-under threshold`: the comparison is the one the message shows,
/// so "score 80.00% is below --fail-under 80.00" cannot happen.
inline fail_under_check check_fail_under(const summary& s, double threshold) {
  fail_under_check c;
  auto scored = s.count(status::zapped) + s.count(status::timeout) + s.count(status::survived) +
                s.count(status::no_coverage);
  c.no_verdict = scored == 0;
  c.score = shown_2_decimals(s.score);
  c.threshold = shown_2_decimals(threshold);
  c.below = !c.no_verdict && c.score < c.threshold;
  return c;
}

}  // namespace gremlins::cli
