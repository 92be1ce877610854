#pragma once
// The one table of the options of `gremlin-actors run` (and `config`, which takes the same
// options). Each entry names its configuration key, its command-line spelling(s), its value
// type, its default, its range or allowed values, its help text and the run_options field it
// sets. Everything else is derived from it: the CLI11 declarations, the keys of the
// configuration file with their type and range checks (cli/config_file.cpp only reads TOML and
// reports file:line), the merge (command line > file > default, cli/config_merge.cpp), the
// listing of `gremlin-actors config`, and the defaults of run_options itself.
// docs/configuration.md lists the same table; tests/test_options.cpp checks that it does.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cli/run_options.hpp"

namespace CLI {
class App;
}

namespace gremlins::cli {

/// What an option holds, on the command line and in the configuration file.
enum class value_kind {
  flag,      ///< CLI: a flag without a value; file: true or false
  integer,   ///< a whole number within the option's range
  number,    ///< a number within the option's range
  string,    ///< a string; one of the allowed values when the option has them
  joined,    ///< CLI: one string; file: a string, or an array of strings joined with the separator
  strings,   ///< CLI: a comma list (or the words after `--`); file: an array of strings
  integers,  ///< CLI: a comma list; file: an array of integers; each within the range
  env,       ///< CLI: KEY=VALUE, repeatable; file: a table of strings
};

/// Lowest and highest value of a number (for `integers`: of each item).
struct value_range {
  double min = 0;
  double max = 0;
  bool min_excluded = false;  ///< min itself is refused ("more than 0")
};

/// A field of run_options and the value it starts with.
template <class T>
struct member {
  T run_options::*ptr;
  T initial;
};

/// The field an option sets; the variant's type is the field's type.
using option_field =
    std::variant<member<bool>, member<std::uint32_t>, member<std::optional<std::uint32_t>>,
                 member<double>, member<std::optional<double>>, member<std::string>,
                 member<std::vector<std::string>>, member<std::vector<int>>>;

/// Binds `ptr` with the default `initial`.
template <class T, class D = T>
option_field field(T run_options::*ptr, D initial = T{}) {
  return member<T>{ptr, T(initial)};
}

/// One option of `run`.
struct option_spec {
  std::string key;         ///< the configuration key, canonical ('_'; the file may write '-')
  std::string flags;       ///< CLI11 names, "--workers,--gremlin-workers"; no dash: positional
  value_kind kind;
  option_field target;     ///< the run_options field and its default
  std::string help;
  std::optional<value_range> range;   ///< integer, number, integers
  std::vector<std::string> allowed;   ///< string: the only values accepted
  std::string separator = ",";        ///< how a list is written (CLI, `config`) and joined
  bool inverted = false;   ///< the key is the negation of the field: warmup = !no_warmup
  std::string unset;       ///< what `config` shows for an empty or unset field
  std::string unit;        ///< shown after the value by `config` ("s")
  std::string group;       ///< comma list of groups; a member given on the command line drops
                           ///< the file's values of the options sharing a group with it
  std::string example;     ///< a non-default value as written on the command line (docs, tests)

  option_spec(std::string key, std::string flags, value_kind kind, option_field target,
              std::string help);
  option_spec&& within(double min, double max) &&;
  option_spec&& above(double min, double max) &&;  ///< min excluded
  option_spec&& one_of(std::vector<std::string> values) &&;
  option_spec&& separated_by(std::string sep) &&;
  option_spec&& negated() &&;
  option_spec&& when_unset(std::string text) &&;
  option_spec&& in_unit(std::string u) &&;
  option_spec&& in_group(std::string g) &&;
  option_spec&& e_g(std::string cli_value) &&;

  bool positional() const { return !flags.empty() && flags[0] != '-'; }
  /// The CLI11 names, split: {"--workers", "--gremlin-workers"}.
  std::vector<std::string> names() const;
  /// The name CLI11 reports and `app.count()` takes: the first long name (or the positional).
  std::string main_name() const;
};

/// Every option of `run`, in the order `config` lists them.
const std::vector<option_spec>& run_option_table();

/// The entry for a canonical key, or nullptr.
const option_spec* find_option(const std::string& key);

/// Declares every option of the table on `app`, each writing into its field of `opts`.
void add_run_options(CLI::App& app, run_options& opts);

/// Declares the options of `keys` only (`gremlin-actors node` takes some of run's options).
void add_run_options(CLI::App& app, run_options& opts, const std::vector<std::string>& keys);

/// Why `x` (written `text`) is out of the option's range, e.g. "must be at least 1, not 0";
/// empty when it is inside (or the option has no range).
std::string range_refusal(const option_spec& spec, double x, const std::string& text);

/// Why `value` is not one of the option's allowed values, e.g. "must be one of pull,
/// round-robin, weighted, not 'random'"; empty when allowed (or the option allows anything).
std::string allowed_refusal(const option_spec& spec, const std::string& value);

/// The field of `spec` in `opts` as `gremlin-actors config` shows it ("2.5 s", "adaptive").
std::string shown_value(const option_spec& spec, const run_options& opts);

/// The default of `spec` as `gremlin-actors config` shows it.
std::string default_text(const option_spec& spec);

/// The value type for people, with range or allowed values: "integer, 1 to 1024".
std::string type_text(const option_spec& spec);

}  // namespace gremlins::cli
