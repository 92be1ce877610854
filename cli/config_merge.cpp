// The merge of the configuration file under the command line, walking the option table
// (cli/options.hpp): for each option, a value given on the command line wins, else the file's
// value is applied to its run_options field, else the default stays. The same walk gives the
// rows of `gremlin-actors config`.

#include "cli/config_merge.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <type_traits>

#include "cli/config_file.hpp"
#include "cli/options.hpp"

namespace gremlins::cli {

namespace {

std::string join(const std::vector<std::string>& xs, const std::string& sep) {
  std::string out;
  for (const auto& x : xs) out += (out.empty() ? "" : sep) + x;
  return out;
}

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// A checked file value (config_file.cpp refused anything of the wrong type or out of range)
// as the field's type.
template <class T>
T converted(const option_spec& spec, const config_value& v) {
  if constexpr (is_optional<T>::value) {
    return converted<typename T::value_type>(spec, v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return spec.inverted ? !std::get<bool>(v) : std::get<bool>(v);
  } else if constexpr (std::is_same_v<T, std::uint32_t>) {
    return static_cast<std::uint32_t>(std::get<std::int64_t>(v));
  } else if constexpr (std::is_same_v<T, double>) {
    return std::get<double>(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (const auto* words = std::get_if<std::vector<std::string>>(&v)) return join(*words, spec.separator);
    return std::get<std::string>(v);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (const auto* table = std::get_if<std::map<std::string, std::string>>(&v)) {
      std::vector<std::string> kv;  // the env table: KEY=VALUE, as --env takes them
      for (const auto& [k, val] : *table) kv.push_back(k + "=" + val);
      return kv;
    }
    return std::get<std::vector<std::string>>(v);
  } else {
    static_assert(std::is_same_v<T, std::vector<int>>);
    const auto& xs = std::get<std::vector<std::int64_t>>(v);
    return std::vector<int>(xs.begin(), xs.end());
  }
}

void apply(const option_spec& spec, run_options& opts, const config_value& v) {
  std::visit(
      [&](const auto& m) {
        auto& ref = opts.*(m.ptr);
        ref = converted<std::decay_t<decltype(ref)>>(spec, v);
      },
      spec.target);
}

bool on_command_line(const CLI::App& app, const option_spec& spec) {
  // `node` declares only some of the options (cli/node_command.cpp).
  const auto* opt = app.get_option_no_throw(spec.main_name());
  return opt != nullptr && opt->count() > 0;
}

std::vector<std::string> groups_of(const option_spec& spec) {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (start < spec.group.size()) {
    auto comma = spec.group.find(',', start);
    if (comma == std::string::npos) comma = spec.group.size();
    out.push_back(spec.group.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Another option sharing a group with this one given on the command line (e.g. --gremlins
// when the file names a manifest): the name, or "".
std::string group_member_given(const CLI::App& app, const option_spec& spec) {
  auto mine = groups_of(spec);
  if (mine.empty()) return "";
  for (const auto& other : run_option_table()) {
    if (&other == &spec || !on_command_line(app, other)) continue;
    for (const auto& g : groups_of(other))
      if (std::find(mine.begin(), mine.end(), g) != mine.end()) return other.main_name();
  }
  return "";
}

// "pyproject.toml:14 [tool.gremlin-actors]", "gremlin-actors.toml:3",
// "pyproject.toml:20 [tool.pytest-gremlins] paths".
std::string place(const file_setting& s) { return s.table.empty() ? s.where : s.where + " " + s.table; }

}  // namespace

std::vector<effective_setting> merge_config_file(run_options& opts, const CLI::App& app,
                                                 std::string& used_file) {
  auto dir = !opts.project.empty() ? opts.project : opts.rootdir;
  auto settings = load_config_file(dir, used_file);
  std::vector<effective_setting> out;
  for (const auto& spec : run_option_table()) {
    bool on_cli = on_command_line(app, spec);
    std::string source = on_cli ? "command line" : "default";
    // Ours ([tool.gremlin-actors] or gremlin-actors.toml) wins over [tool.pytest-gremlins].
    const file_setting* ours = nullptr;
    const file_setting* theirs = nullptr;
    for (const auto& s : settings)
      if (s.key == spec.key) (s.foreign ? theirs : ours) = &s;
    if (const file_setting* chosen = ours ? ours : theirs) {
      std::string from = place(*chosen);
      if (ours && theirs) from += " (over " + place(*theirs) + ")";
      if (on_cli) {
        source = "command line (over " + from + ")";
      } else if (auto other = group_member_given(app, spec); !other.empty()) {
        source = "default (" + from + " dropped: " + other + " on the command line)";
      } else {
        apply(spec, opts, chosen->value);
        source = from;
      }
    }
    out.push_back({spec.key, shown_value(spec, opts), source});
  }
  return out;
}

}  // namespace gremlins::cli
