#pragma once
// The configuration file: [tool.gremlin-actors] in pyproject.toml, or a gremlin-actors.toml
// whose top level holds the keys. Parsed with toml++; the CLI merges it under its flags.
// The keys, their types, ranges and allowed values are the option table's (cli/options.hpp);
// this part reads TOML and names file:line in every refusal (docs/configuration.md).

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
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
};

/// The keys the file may hold, canonical names: every key of the option table, in its order.
const std::vector<std::string>& config_file_keys();

/// Reads project_dir/pyproject.toml when it has a [tool.gremlin-actors] table, else
/// project_dir/gremlin-actors.toml (keys at its top level); `used_file` gets the file's path, or
/// "" when there is none (then the result is empty). Settings come in file order.
/// Throws config_error for a syntax error, an unknown key, a wrong type or an impossible value.
std::vector<file_setting> load_config_file(const std::string& project_dir, std::string& used_file);

}  // namespace gremlins
