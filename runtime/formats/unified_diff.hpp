#pragma once
// The lines a change added or modified, from a unified diff (`git diff`, `diff -u`): what
// `--since REV` and `--in-diff FILE` limit a run to.

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gremlins {

/// A diff that cannot be read; the message names the source and line.
class diff_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Per file of the new side (path as the diff names it, without "b/"), the ranges of its new
/// line numbers that were added or changed, [first, last], sorted.
using changed_lines = std::map<std::string, std::vector<std::pair<int, int>>>;

/// Parses `text` (named `origin` in errors). Deleted files and pure deletions change no line.
changed_lines parse_unified_diff(const std::string& text, const std::string& origin);

/// True when lines [first, last] of `file` meet a changed range; `file` is matched against the
/// diff's paths as given, or as a path ending with one of them at a '/'.
bool touches(const changed_lines& changes, const std::string& file, int first, int last);

}  // namespace gremlins
