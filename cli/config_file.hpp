#pragma once
// The configuration file: [tool.gremlin-actors] in pyproject.toml, or a gremlin-actors.toml
// whose top level holds the keys. Parsed with toml++; the CLI merges it under its flags.
// The keys, their types, ranges and allowed values are the option table's (cli/options.hpp);
// this part reads TOML and names file:line in every refusal (docs/configuration.md).

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace gremlins {

/// A configuration file that cannot be used; the message names file:line, the key and why.
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A value from the file: bool, integer, number, string, list of strings, the env table, or
/// a list of integers.
using config_value = std::variant<bool, std::int64_t, double, std::string,
                                  std::vector<std::string>, std::map<std::string, std::string>,
                                  std::vector<std::int64_t>>;

/// One key of the file.
struct file_setting {
  std::string key;     ///< the canonical name, '-' written as '_' ("batch_size")
  config_value value;  ///< a number key (`timeout`, `fail_under`...) is always double
  std::string where;   ///< "pyproject.toml:14"
  /// The table and, when it differs from `key`, the key as written there:
  /// "[tool.gremlin-actors]", "[tool.pytest-gremlins] paths", "" for gremlin-actors.toml.
  std::string table;
  bool foreign = false;  ///< from [tool.pytest-gremlins]: a value of ours for the key wins
};

/// The keys of pyproject.toml's [tool.pytest-gremlins] that are read, and the key of ours each
/// sets: operators, paths (targets), exclude. pytest-gremlins' other keys are its own and are
/// not read.
const std::vector<std::pair<std::string, std::string>>& pytest_gremlins_keys();

/// The keys the file may hold, canonical names: every key of the option table, in its order.
const std::vector<std::string>& config_file_keys();

/// Reads project_dir/pyproject.toml when it has a [tool.gremlin-actors] table, else
/// project_dir/gremlin-actors.toml (keys at its top level); `used_file` gets the file's path
/// (pyproject.toml when only its [tool.pytest-gremlins] is read), or "" when there is none
/// (then the result is empty). The keys of pyproject.toml's [tool.pytest-gremlins]
/// (pytest_gremlins_keys()) come first, marked `foreign`; then ours, in file order.
/// Throws config_error for a syntax error, an unknown key, a wrong type or an impossible value.
std::vector<file_setting> load_config_file(const std::string& project_dir, std::string& used_file);

}  // namespace gremlins
