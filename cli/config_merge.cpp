// One table maps each configuration key to its command-line option and to the field of
// run_options it sets, so merging, the `config` listing and the precedence rule
// (command line > file > default) share one definition.

#include "cli/config_merge.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <functional>

#include "messages/pool_config.hpp"
#include "cli/config_file.hpp"

namespace gremlins::cli {

namespace {

struct binding {
  const char* key;
  const char* option;  ///< the CLI11 name checked for "given on the command line"
  std::function<void(run_options&, const config_value&, const std::string& where)> set;
  std::function<std::string(const run_options&)> show;
};

std::string join(const std::vector<std::string>& xs, const char* sep = " ") {
  std::string out;
  for (const auto& x : xs) out += (out.empty() ? "" : sep) + x;
  return out;
}

template <class T>
const T& as(const config_value& v) {
  return std::get<T>(v);
}

void check_member(const std::string& value, bool ok, const std::string& where, const char* key,
                  const char* allowed) {
  if (!ok)
    throw config_error(where + ": key '" + key + "' must be one of " + allowed + ", not '" + value + "'");
}

std::string opt_num(const std::optional<double>& x) {
  return x ? fmt::format("{}", *x) : std::string("(unset)");
}

const std::vector<binding>& bindings() {
  static const std::vector<binding> table = {
    {"workers", "--workers",
     [](run_options& o, const config_value& v, const std::string&) { o.workers = static_cast<std::uint32_t>(as<std::int64_t>(v)); },
     [](const run_options& o) { return o.workers ? std::to_string(*o.workers) : "(CPU count when parallel)"; }},
    {"parallel", "--parallel", [](run_options& o, const config_value& v, const std::string&) { o.parallel = as<bool>(v); },
     [](const run_options& o) { return std::string(o.parallel ? "true" : "false"); }},
    {"batch", "--batch", [](run_options& o, const config_value& v, const std::string&) { o.batch = as<bool>(v); },
     [](const run_options& o) { return std::string(o.batch ? "true" : "false"); }},
    {"batch_size", "--batch-size",
     [](run_options& o, const config_value& v, const std::string&) { o.batch_size = static_cast<std::uint32_t>(as<std::int64_t>(v)); },
     [](const run_options& o) { return std::to_string(o.batch_size); }},
    {"timeout", "--timeout", [](run_options& o, const config_value& v, const std::string&) { o.timeout = as<double>(v); },
     [](const run_options& o) { return o.timeout ? fmt::format("{} s", *o.timeout) : std::string("adaptive"); }},
    {"executor", "--executor",
     [](run_options& o, const config_value& v, const std::string& w) {
       check_member(as<std::string>(v), parse_executor(as<std::string>(v)).has_value(), w, "executor",
                    "auto, subprocess, fork, inprocess");
       o.executor = as<std::string>(v);
     },
     [](const run_options& o) { return o.executor; }},
    {"start_method", "--start-method",
     [](run_options& o, const config_value& v, const std::string& w) {
       check_member(as<std::string>(v), parse_start_method(as<std::string>(v)).has_value(), w, "start_method",
                    "auto, spawn, fork, forkserver");
       o.start_method = as<std::string>(v);
     },
     [](const run_options& o) { return o.start_method; }},
    {"distribution", "--distribution",
     [](run_options& o, const config_value& v, const std::string& w) {
       check_member(as<std::string>(v), parse_distribution(as<std::string>(v)).has_value(), w, "distribution",
                    "pull, round-robin, weighted");
       o.distribution = as<std::string>(v);
     },
     [](const run_options& o) { return o.distribution; }},
    {"operators", "--operators",
     [](run_options& o, const config_value& v, const std::string&) { o.operators = as<std::vector<std::string>>(v); },
     [](const run_options& o) { return o.operators.empty() ? std::string("(all)") : join(o.operators, ","); }},
    {"targets", "--targets",
     [](run_options& o, const config_value& v, const std::string&) { o.targets = as<std::vector<std::string>>(v); },
     [](const run_options& o) { return o.targets.empty() ? std::string("(auto-detected)") : join(o.targets); }},
    {"fail_under", "--fail-under", [](run_options& o, const config_value& v, const std::string&) { o.fail_under = as<double>(v); },
     [](const run_options& o) { return opt_num(o.fail_under); }},
    {"json", "--json", [](run_options& o, const config_value& v, const std::string&) { o.json = as<std::string>(v); },
     [](const run_options& o) { return o.json; }},
    {"report_elements", "--report-elements",
     [](run_options& o, const config_value& v, const std::string&) { o.report_elements = as<std::string>(v); },
     [](const run_options& o) { return o.report_elements; }},
    {"report_html", "--report-html",
     [](run_options& o, const config_value& v, const std::string&) { o.report_html = as<std::string>(v); },
     [](const run_options& o) { return o.report_html; }},
    {"warmup", "--no-warmup", [](run_options& o, const config_value& v, const std::string&) { o.no_warmup = !as<bool>(v); },
     [](const run_options& o) { return std::string(o.no_warmup ? "false" : "true"); }},
    {"max_reuse", "--max-reuse",
     [](run_options& o, const config_value& v, const std::string&) { o.max_reuse = static_cast<std::uint32_t>(as<std::int64_t>(v)); },
     [](const run_options& o) { return std::to_string(o.max_reuse); }},
    {"env", "--env",
     [](run_options& o, const config_value& v, const std::string&) {
       std::vector<std::string> kv;
       for (const auto& [k, val] : as<std::map<std::string, std::string>>(v)) kv.push_back(k + "=" + val);
       o.env.insert(o.env.begin(), kv.begin(), kv.end());
     },
     [](const run_options& o) { return join(o.env); }},
    {"command", "command",
     [](run_options& o, const config_value& v, const std::string&) { o.command = as<std::vector<std::string>>(v); },
     [](const run_options& o) { return join(o.command); }},
    {"worker_command", "--worker-command",
     [](run_options& o, const config_value& v, const std::string&) {
       if (auto* s = std::get_if<std::string>(&v)) o.worker_command = *s;
       else o.worker_command = join(as<std::vector<std::string>>(v));
     },
     [](const run_options& o) { return o.worker_command; }},
    {"rootdir", "--rootdir", [](run_options& o, const config_value& v, const std::string&) { o.rootdir = as<std::string>(v); },
     [](const run_options& o) { return o.rootdir; }},
    {"manifest", "--manifest", [](run_options& o, const config_value& v, const std::string&) { o.manifest = as<std::string>(v); },
     [](const run_options& o) { return o.manifest; }},
    {"quiet", "--quiet", [](run_options& o, const config_value& v, const std::string&) { o.quiet = as<bool>(v); },
     [](const run_options& o) { return std::string(o.quiet ? "true" : "false"); }},
    {"no_color", "--no-color", [](run_options& o, const config_value& v, const std::string&) { o.no_color = as<bool>(v); },
     [](const run_options& o) { return std::string(o.no_color ? "true" : "false"); }},
    {"python", "--python", [](run_options& o, const config_value& v, const std::string&) { o.python = as<std::string>(v); },
     [](const run_options& o) { return o.python.empty() ? std::string("(first with pytest)") : o.python; }},
    {"show_all", "--show-all", [](run_options& o, const config_value& v, const std::string&) { o.show_all = as<bool>(v); },
     [](const run_options& o) { return std::string(o.show_all ? "true" : "false"); }},
  };
  return table;
}

}  // namespace

std::vector<effective_setting> merge_config_file(run_options& opts, const CLI::App& app,
                                                 std::string& used_file) {
  auto dir = !opts.project.empty() ? opts.project : opts.rootdir;
  auto settings = load_config_file(dir, used_file);
  std::vector<effective_setting> out;
  for (const auto& b : bindings()) {
    auto source = std::string("default");
    bool on_cli = app.count(b.option) > 0;
    for (const auto& s : settings) {
      if (s.key != b.key) continue;
      if (on_cli) {
        source = "command line (over " + s.where + ")";
      } else {
        b.set(opts, s.value, s.where);
        source = s.where;
      }
    }
    if (on_cli && source == "default") source = "command line";
    out.push_back({b.key, b.show(opts), source});
  }
  return out;
}

}  // namespace gremlins::cli
