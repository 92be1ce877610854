#include "cli/config_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <toml++/toml.h>

#include "cli/options.hpp"
#include "runtime/formats/input_file.hpp"

namespace gremlins {

namespace {

using cli::option_spec;
using cli::value_kind;

const char* kind_name(value_kind k) {
  switch (k) {
    case value_kind::flag: return "true or false";
    case value_kind::integer: return "an integer";
    case value_kind::number: return "a number";
    case value_kind::string: return "a string";
    case value_kind::strings: return "an array of strings";
    case value_kind::joined: return "a string or an array of strings";
    case value_kind::integers: return "an array of integers";
    case value_kind::env: return "a table of strings";
  }
  return "?";
}

const char* toml_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number with a fraction";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string suggestion(const std::string& key) {
  std::string best;
  std::size_t best_d = 3;  // more than 2 edits away is no longer a typo
  for (const auto& s : cli::run_option_table()) {
    std::size_t d = edit_distance(key, s.key);
    if (d < best_d) best_d = d, best = s.key;
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// Everything needed to name a place in the file in an error.
struct file_context {
  std::string file;   ///< as shown to the user
  std::string table;  ///< "[tool.gremlin-actors]" or "" for the top level

  std::string where(const toml::source_region& r) const {
    return file + ":" + std::to_string(r.begin.line);
  }
  [[noreturn]] void fail(const toml::source_region& r, const std::string& key,
                         const std::string& why) const {
    std::string in = table.empty() ? "" : table + " ";
    throw config_error(where(r) + ": " + in + "key '" + key + "' " + why);
  }
};

std::vector<std::string> strings_of(const file_context& ctx, const std::string& key,
                                    const toml::array& arr) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const toml::node& item = arr[i];
    if (!item.is_string())
      ctx.fail(item.source(), key, "item " + std::to_string(i + 1) + " must be a string, not " +
                                      toml_type_name(item));
    out.push_back(item.as_string()->get());
  }
  return out;
}

std::map<std::string, std::string> env_of(const file_context& ctx, const toml::table& t) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : t) {
    std::string k(name.str());
    if (!value.is_string())
      ctx.fail(value.source(), "env." + k, "must be a string, not " + std::string(toml_type_name(value)));
    out[k] = value.as_string()->get();
  }
  return out;
}

std::string number_text(double x) { return fmt::format("{}", x); }

// The option's range check (the same the command line gets), reported at the value's line.
void check_range(const file_context& ctx, const toml::node& n, const std::string& key,
                 const option_spec& spec, double x, const std::string& text,
                 const std::string& item = "") {
  auto why = cli::range_refusal(spec, x, text);
  if (!why.empty()) ctx.fail(n.source(), key, item + why);
}

std::vector<std::int64_t> integers_of(const file_context& ctx, const option_spec& spec,
                                      const toml::array& arr) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const toml::node& item = arr[i];
    std::string which = "item " + std::to_string(i + 1) + " ";
    if (!item.is_integer())
      ctx.fail(item.source(), spec.key, which + "must be an integer, not " + toml_type_name(item));
    std::int64_t x = item.as_integer()->get();
    check_range(ctx, item, spec.key, spec, static_cast<double>(x), std::to_string(x), which);
    out.push_back(x);
  }
  return out;
}

config_value value_of(const file_context& ctx, const option_spec& spec, const toml::node& n) {
  const std::string& key = spec.key;
  auto wrong = [&] {
    ctx.fail(n.source(), key, "must be " + std::string(kind_name(spec.kind)) + ", not " + toml_type_name(n));
  };
  switch (spec.kind) {
    case value_kind::flag:
      if (!n.is_boolean()) wrong();
      return n.as_boolean()->get();
    case value_kind::integer: {
      if (!n.is_integer()) wrong();
      std::int64_t x = n.as_integer()->get();
      check_range(ctx, n, key, spec, static_cast<double>(x), std::to_string(x));
      return x;
    }
    case value_kind::number: {
      if (!n.is_number()) wrong();
      double x = n.is_integer() ? static_cast<double>(n.as_integer()->get()) : n.as_floating_point()->get();
      check_range(ctx, n, key, spec, x, number_text(x));
      return x;
    }
    case value_kind::string: {
      if (!n.is_string()) wrong();
      std::string s = n.as_string()->get();
      auto why = cli::allowed_refusal(spec, s);
      if (!why.empty()) ctx.fail(n.source(), key, why);
      return s;
    }
    case value_kind::strings:
      if (!n.is_array()) wrong();
      return strings_of(ctx, key, *n.as_array());
    case value_kind::joined:
      if (n.is_string()) return n.as_string()->get();
      if (!n.is_array()) wrong();
      return strings_of(ctx, key, *n.as_array());
    case value_kind::integers:
      if (!n.is_array()) wrong();
      return integers_of(ctx, spec, *n.as_array());
    case value_kind::env:
      if (!n.is_table()) wrong();
      return env_of(ctx, *n.as_table());
  }
  ctx.fail(n.source(), key, "has a type this version cannot read");
}

// [tool.pytest-gremlins]: the keys pytest_gremlins_keys() maps, checked as our keys are (the
// messages name the key as written there); the others are pytest-gremlins' own.
std::vector<file_setting> foreign_settings_of(const file_context& ctx, const toml::table& table) {
  std::vector<std::pair<std::uint32_t, file_setting>> found;
  for (const auto& [name, node] : table) {
    std::string written(name.str());
    std::string key = written;
    std::replace(key.begin(), key.end(), '-', '_');
    for (const auto& [theirs, ours] : pytest_gremlins_keys()) {
      if (key != theirs) continue;
      option_spec spec = *cli::find_option(ours);
      spec.key = written;  // name it as the user wrote it
      file_setting s{ours, value_of(ctx, spec, node), ctx.where(name.source()),
                     ctx.table + (theirs == ours ? "" : " " + theirs), true};
      found.push_back({name.source().begin.line, std::move(s)});
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<file_setting> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

std::vector<file_setting> settings_of(const file_context& ctx, const toml::table& table) {
  std::vector<std::pair<std::uint32_t, file_setting>> found;
  for (const auto& [name, node] : table) {
    std::string key(name.str());
    std::replace(key.begin(), key.end(), '-', '_');
    const option_spec* spec = cli::find_option(key);
    if (spec == nullptr)
      ctx.fail(name.source(), std::string(name.str()), "is unknown" + suggestion(key));
    for (const auto& seen : found)
      if (seen.second.key == key)
        ctx.fail(name.source(), std::string(name.str()),
                 "is given twice (also on line " + std::to_string(seen.first) + ")");
    found.push_back({name.source().begin.line,
                     {key, value_of(ctx, *spec, node), ctx.where(name.source()), ctx.table}});
  }
  // toml++ keeps a table ordered by key; the file's order reads better in `config` output.
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<file_setting> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

toml::table parse(const std::string& path, const std::string& shown) {
  // Read as every input is (close-on-exec, no device, no endless stream), then parsed.
  input_file in = read_input_file(path, 64u << 20);
  if (!in.problem.empty()) throw config_error(shown + ": " + in.problem);
  try {
    return toml::parse(in.text, path);
  } catch (const toml::parse_error& e) {
    throw config_error(shown + ":" + std::to_string(e.source().begin.line) + ":" +
                       std::to_string(e.source().begin.column) + ": TOML syntax error: " +
                       std::string(e.description()));
  }
}

}  // namespace

const std::vector<std::string>& config_file_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& s : cli::run_option_table()) k.push_back(s.key);
    return k;
  }();
  return keys;
}

const std::vector<std::pair<std::string, std::string>>& pytest_gremlins_keys() {
  static const std::vector<std::pair<std::string, std::string>> keys = {
      {"operators", "operators"}, {"paths", "targets"}, {"exclude", "exclude"}};
  return keys;
}

std::vector<file_setting> load_config_file(const std::string& project_dir, std::string& used_file) {
  namespace fs = std::filesystem;
  used_file.clear();
  fs::path dir(project_dir.empty() ? "." : project_dir);
  std::string pyproject = (dir / "pyproject.toml").lexically_normal().string();
  std::vector<file_setting> out;
  if (fs::is_regular_file(pyproject)) {
    toml::table doc = parse(pyproject, pyproject);
    if (const toml::node* theirs = doc["tool"]["pytest-gremlins"].node()) {
      file_context ctx{pyproject, "[tool.pytest-gremlins]"};
      if (!theirs->is_table())
        throw config_error(ctx.where(theirs->source()) + ": [tool.pytest-gremlins] must be a table");
      out = foreign_settings_of(ctx, *theirs->as_table());
      used_file = pyproject;
    }
    if (const toml::node* section = doc["tool"]["gremlin-actors"].node()) {
      file_context ctx{pyproject, "[tool.gremlin-actors]"};
      if (!section->is_table())
        throw config_error(ctx.where(section->source()) + ": [tool.gremlin-actors] must be a table");
      used_file = pyproject;
      auto ours = settings_of(ctx, *section->as_table());
      out.insert(out.end(), ours.begin(), ours.end());
      return out;
    }
  }
  std::string own = (dir / "gremlin-actors.toml").lexically_normal().string();
  if (!fs::is_regular_file(own)) return out;
  toml::table doc = parse(own, own);
  used_file = own;
  auto ours = settings_of(file_context{own, ""}, doc);
  out.insert(out.end(), ours.begin(), ours.end());
  return out;
}

}  // namespace gremlins
