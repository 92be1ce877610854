#pragma once
// Reads the gremlins to test: a manifest (docs/results-json.md, "The manifest"), a comma list, or a file of ids.
// Every refusal is an input_error whose message names the file, line and field.

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "messages/gremlin.hpp"

namespace gremlins {

/// Bad input from the user: the CLI prints the message and exits 2.
struct input_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A parsed manifest.
struct manifest {
  std::vector<gremlin> gremlins;                  ///< in file order; tests_ms filled in
  std::map<std::string, double> test_durations_ms;  ///< the "tests" section
};

/// Parses and checks the manifest at `path`.
manifest load_manifest(const std::string& path);

/// Parses manifest text; `name` is used in messages.
manifest parse_manifest(const std::string& text, const std::string& name);

/// `--gremlins a,b,c`: bare ids; empty entries and duplicates are refused.
std::vector<gremlin> gremlins_from_list(const std::string& csv);

/// `--gremlin-ids FILE`: one id a line; blank lines and lines starting with '#' are skipped.
std::vector<gremlin> load_gremlin_ids(const std::string& path);

/// Why `id` cannot be a gremlin id (empty, whitespace, control characters), or empty if fine.
std::string check_gremlin_id(const std::string& id);

}  // namespace gremlins
