#pragma once
// Unified diffs both ways. Reading: the lines a change added or modified, from a unified diff
// (`git diff`, `diff -u`): what `--since REV` and `--in-diff FILE` limit a run to. Writing: a
// gremlin's mutation applied to its source text, as the lines it changes (the console's
// survivors), as a unified diff (`gremlin-actors show`) and as the mutated file
// (`gremlin-actors apply`).

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gremlins {

struct gremlin;

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

/// A gremlin's mutation applied to the text of its source file.
struct mutant {
  int first_line = 0;               ///< first line the mutation touches (1-based)
  std::vector<std::string> before;  ///< the source lines first_line.. it touches, without "\n"
  std::vector<std::string> after;   ///< the lines that take their place
  std::string mutated_source;       ///< the whole file with the mutation in it
};

/// Applies `g` to `source`: the manifest's span (`line`, `column`, `end_line`, `end_column`:
/// 1-based character columns, end exclusive; docs/results-json.md) is replaced by
/// `replacement`, after checking that the span holds exactly `original`. Without `end_line` the
/// span is `original`'s length from `column`. Lines end at "\n" only (as Python counts them).
/// Returns nullopt and sets `why` when it cannot be done exactly: no place or no `original`
/// in the manifest, a place beyond the file, or other text there than `original` (the file
/// changed, or the manifest's writer counts columns otherwise).
std::optional<mutant> apply_mutant(const std::string& source, const gremlin& g, std::string& why);

/// The unified diff of `m` against `source` (`--- a/PATH`, `+++ b/PATH`, one hunk with
/// `context` lines around the change), as `diff -u` and `git apply` read it.
std::string unified_diff_of(const std::string& path, const std::string& source, const mutant& m,
                            int context = 3);

}  // namespace gremlins
