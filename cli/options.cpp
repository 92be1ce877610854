// The option table of `run` and what is derived from it here: run_options' defaults, the CLI11
// declarations (with the same range and allowed-value checks the configuration file gets),
// and how a value is shown by `gremlin-actors config` and docs/configuration.md.

#include "cli/options.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "cli/exit_codes.hpp"
#include "messages/pool_config.hpp"

namespace gremlins::cli {

namespace {

constexpr double uint32_max = std::numeric_limits<std::uint32_t>::max();

template <class... E>
std::vector<std::string> names_of(E... values) {
  return {to_string(values)...};
}

std::string join(const std::vector<std::string>& xs, const std::string& sep) {
  std::string out;
  for (const auto& x : xs) out += (out.empty() ? "" : sep) + x;
  return out;
}

std::string number_text(double x) { return fmt::format("{}", x); }

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// The value types each kind may bind, checked once when the table is built.
bool kind_fits(value_kind k, const option_field& f) {
  switch (k) {
    case value_kind::flag: return std::holds_alternative<member<bool>>(f);
    case value_kind::integer:
      return std::holds_alternative<member<std::uint32_t>>(f) ||
             std::holds_alternative<member<std::optional<std::uint32_t>>>(f);
    case value_kind::number:
      return std::holds_alternative<member<double>>(f) ||
             std::holds_alternative<member<std::optional<double>>>(f);
    case value_kind::string:
    case value_kind::joined: return std::holds_alternative<member<std::string>>(f);
    case value_kind::strings:
    case value_kind::env: return std::holds_alternative<member<std::vector<std::string>>>(f);
    case value_kind::integers: return std::holds_alternative<member<std::vector<int>>>(f);
  }
  return false;
}

std::vector<option_spec> make_table() {
  using k = value_kind;
  using o = run_options;
  const pool_config pool;     // the library's defaults are the CLI's, where it has them
  const command_spec command;
  // Alternatives (a member on the command line drops the file's others, cli/config_merge.cpp):
  // one list of gremlins, and where the gremlins come from. With --pytest, --gremlins and
  // --gremlin-ids choose among the adapter's gremlins, so pytest is in the second group only.
  const std::string gremlin_list = "gremlin list";
  const std::string gremlin_source = "gremlin source";
  const std::string list_and_source = gremlin_list + "," + gremlin_source;
  std::vector<option_spec> t;
  // What to test.
  t.push_back(option_spec("manifest", "--manifest", k::string, field(&o::manifest),
                          "Gremlin manifest (JSON, docs/results-json.md \"The manifest\")")
                  .in_group(list_and_source).e_g("gremlins.json"));
  t.push_back(option_spec("gremlins", "--gremlins", k::joined, field(&o::gremlins_csv),
                          "Comma-separated gremlin ids (with --pytest: ids, globs, FILE or FILE:LINE[-END] to test)")
                  .in_group(gremlin_list).e_g("g1,g2"));
  t.push_back(option_spec("gremlin_ids", "--gremlin-ids", k::string, field(&o::gremlin_ids_file),
                          "File with one gremlin id a line (with --pytest: one selection a line, as --gremlins)")
                  .in_group(gremlin_list).e_g("ids.txt"));
  t.push_back(option_spec("pytest", "--pytest", k::flag, field(&o::pytest),
                          "Python project: instrument, baseline with coverage, run warm (adapters/pytest)")
                  .in_group(gremlin_source));
  t.push_back(option_spec("command", "command", k::strings, field(&o::command),
                          "The test command, after -- (with --pytest: pytest's own arguments)")
                  .separated_by(" ").e_g("python3 -m pytest -x"));
  t.push_back(option_spec("worker_command", "--worker-command", k::joined, field(&o::worker_command),
                          "Warm worker program (docs/protocol.md), split into words")
                  .separated_by(" ").e_g("python3 -m gremlins_pytest.worker"));
  // Where and how.
  t.push_back(option_spec("rootdir", "--rootdir", k::string, field(&o::rootdir, "."),
                          "Folder the tests run in")
                  .e_g("src"));
  t.push_back(option_spec("instrumented_dir", "--instrumented-dir", k::string, field(&o::instrumented_dir),
                          "Exported as GREMLIN_INSTRUMENTED_DIR")
                  .e_g("build/instrumented"));
  t.push_back(option_spec("env", "--env", k::env, field(&o::env),
                          "Extra environment KEY=VALUE (repeatable)")
                  .separated_by(" ").e_g("MODE=test"));
  t.push_back(option_spec("parallel", "--parallel,--gremlin-parallel", k::flag, field(&o::parallel),
                          "Use several workers (default: CPU count)"));
  t.push_back(option_spec("workers", "--workers,--gremlin-workers", k::integer, field(&o::workers),
                          "Number of workers (implies --parallel; 0 with --nodes: remote ones only)")
                  .within(0, 1024).when_unset("(CPU count when parallel)").e_g("3"));
  t.push_back(option_spec("batch", "--batch,--gremlin-batch", k::flag, field(&o::batch, pool.batch),
                          "Hand whole batches to workers"));
  t.push_back(option_spec("batch_size", "--batch-size,--gremlin-batch-size", k::integer,
                          field(&o::batch_size, pool.batch_size), "Gremlins per batch")
                  .within(1, 100000).e_g("25"));
  t.push_back(option_spec("timeout", "--timeout", k::number, field(&o::timeout),
                          "Fixed time limit per gremlin in seconds (default: adaptive)")
                  .above(0, 86400).when_unset("adaptive").in_unit("s").e_g("2.5"));
  t.push_back(option_spec("distribution", "--distribution", k::string,
                          field(&o::distribution, to_string(pool.strategy)), "How gremlins reach workers")
                  .one_of(names_of(distribution::pull, distribution::round_robin, distribution::weighted))
                  .e_g("weighted"));
  t.push_back(option_spec("executor", "--executor", k::string, field(&o::executor, to_string(pool.executor)),
                          "How a gremlin is run: a fresh process or a warm worker")
                  .one_of(names_of(executor_kind::auto_, executor_kind::subprocess, executor_kind::fork,
                                   executor_kind::inprocess))
                  .e_g("fork"));
  t.push_back(option_spec("start_method", "--start-method", k::string,
                          field(&o::start_method, to_string(pool.method)), "How the runtime starts processes")
                  .one_of(names_of(start_method::auto_, start_method::spawn, start_method::fork,
                                   start_method::forkserver))
                  .e_g("forkserver"));
  t.push_back(option_spec("warmup", "--no-warmup", k::flag, field(&o::no_warmup, !pool.warmup),
                          "Start warm workers lazily, on their first gremlin")
                  .negated());
  t.push_back(option_spec("max_reuse", "--max-reuse", k::integer, field(&o::max_reuse, pool.max_reuse),
                          "Recycle a warm worker after N gremlins (0: never)")
                  .within(0, uint32_max).e_g("50"));
  t.push_back(option_spec("no_retry", "--no-retry", k::flag, field(&o::no_retry, !pool.retry_crashed),
                          "A gremlin whose worker dies under it is error at once (default: retried once)"));
  t.push_back(option_spec("max_restarts", "--max-restarts", k::integer,
                          field(&o::max_restarts, pool.max_restarts), "Replacement workers allowed in a run")
                  .within(0, uint32_max).e_g("3"));
  t.push_back(option_spec("warmup_timeout", "--warmup-timeout", k::number,
                          field(&o::warmup_timeout, pool.warmup_timeout_s),
                          "Seconds a warm worker may take to be ready")
                  .above(0, 86400).in_unit("s").e_g("5"));
  t.push_back(option_spec("warmup_retries", "--warmup-retries", k::integer,
                          field(&o::warmup_retries, pool.warmup_retries), "Warm-up attempts after the first")
                  .within(0, uint32_max).e_g("1"));
  t.push_back(option_spec("error_exit_codes", "--error-exit-codes", k::integers,
                          field(&o::error_exit_codes, command.error_exit_codes),
                          "Exit codes of the test command that mean error, not zapped")
                  .within(0, 255).e_g("2,9"));
  t.push_back(option_spec("signal_is_error", "--signal-is-error", k::flag,
                          field(&o::signal_is_error, command.signal_is_error),
                          "A test run killed by a signal is an error, not zapped"));
  t.push_back(option_spec("timeout_confirmations", "--timeout-confirmations", k::integer,
                          field(&o::timeout_confirmations, pool.timeout_confirmations),
                          "Re-runs with a doubled limit that must time out too before a timeout counts")
                  .within(0, 10).e_g("2"));
  // The results store (docs/results-store.md).
  t.push_back(option_spec("store", "--store", k::string, field(&o::store),
                          "The results store (SQLite): resume, reuse unchanged verdicts")
                  .when_unset("(with --pytest: .gremlins/results.db)").e_g("out/results.db"));
  t.push_back(option_spec("no_store", "--no-store", k::flag, field(&o::no_store),
                          "No results store, even with --pytest"));
  t.push_back(option_spec("resume", "--resume", k::flag, field(&o::resume),
                          "Also reuse stored verdicts of gremlins without a fingerprint (by id)"));
  t.push_back(option_spec("force", "--force,--no-incremental", k::flag, field(&o::force),
                          "Reuse no stored verdict: test every gremlin again"));
  t.push_back(option_spec("shard", "--shard", k::string, field(&o::shard),
                          "Test shard K of N (by a hash of the gremlin id); merge the shards with `merge`")
                  .e_g("2/3"));
  t.push_back(option_spec("since", "--since", k::string, field(&o::since),
                          "Only gremlins on lines changed since this git revision")
                  .e_g("origin/main"));
  t.push_back(option_spec("in_diff", "--in-diff", k::string, field(&o::in_diff),
                          "Only gremlins on lines this unified diff adds or changes")
                  .e_g("change.diff"));
  // Worker nodes (docs/nodes.md).
  t.push_back(option_spec("nodes", "--nodes", k::strings, field(&o::nodes),
                          "Worker nodes HOST:PORT (comma list) whose workers join the local ones")
                  .when_unset("(none)").e_g("10.0.0.2:7070,10.0.0.3:7070"));
  t.push_back(option_spec("tls_cert", "--tls-cert", k::string, field(&o::tls_cert),
                          "TLS with worker nodes: this side's certificate (PEM)")
                  .e_g("certs/coordinator.pem"));
  t.push_back(option_spec("tls_key", "--tls-key", k::string, field(&o::tls_key),
                          "TLS with worker nodes: this side's private key (PEM)")
                  .e_g("certs/coordinator.key"));
  t.push_back(option_spec("tls_ca", "--tls-ca", k::string, field(&o::tls_ca),
                          "TLS with worker nodes: the CA that signs every accepted peer (PEM)")
                  .e_g("certs/ca.pem"));
  // The pytest adapter.
  t.push_back(option_spec("project", "--project", k::string, field(&o::project),
                          "With --pytest: the project folder")
                  .when_unset("(the rootdir)").e_g("py"));
  t.push_back(option_spec("python", "--python", k::string, field(&o::python),
                          "With --pytest: the interpreter")
                  .when_unset("(first with pytest)").e_g("/usr/bin/python3"));
  t.push_back(option_spec("operators", "--operators", k::strings, field(&o::operators),
                          "With --pytest: mutation operators (comma list)")
                  .when_unset("(all but string, call)").e_g("comparison,boolean"));
  t.push_back(option_spec("targets", "--targets", k::strings, field(&o::targets),
                          "With --pytest: source files, folders or glob patterns to mutate (comma list)")
                  .when_unset("(auto-detected)").e_g("src,lib"));
  t.push_back(option_spec("exclude", "--exclude", k::strings, field(&o::exclude),
                          "With --pytest: files, folders or glob patterns not to mutate (comma list)")
                  .when_unset("(none)").e_g("src/pkg/vendor,*_pb2.py"));
  // Output.
  t.push_back(option_spec("json", "--json", k::string, field(&o::json),
                          "Write the results JSON (docs/results-json.md) here")
                  .e_g("out/results.json"));
  t.push_back(option_spec("report_elements", "--report-elements", k::string, field(&o::report_elements),
                          "Write a mutation-testing-elements report here")
                  .e_g("out/elements.json"));
  t.push_back(option_spec("report_html", "--report-html", k::string, field(&o::report_html),
                          "Write a self-contained HTML report here")
                  .e_g("out/report.html"));
  t.push_back(option_spec("fail_under", "--fail-under", k::number, field(&o::fail_under),
                          "Exit " + std::to_string(exit_below_threshold) + " when the score is below this")
                  .within(0, 100).when_unset("(unset)").e_g("80"));
  t.push_back(option_spec("quiet", "-q,--quiet", k::flag, field(&o::quiet), "No progress, one summary line"));
  t.push_back(option_spec("no_color", "--no-color", k::flag, field(&o::no_color), "No colours"));
  t.push_back(option_spec("show_all", "--show-all", k::flag, field(&o::show_all),
                          "List every survivor, not the first 20"));
  for (const auto& s : t)
    if (!kind_fits(s.kind, s.target) || (s.inverted && s.kind != value_kind::flag))
      throw std::logic_error("option table: the field of '" + s.key + "' does not fit its kind");
  return t;
}

// Parses a whole command-line word as a number; nullopt when it is not one (CLI11's own
// conversion then reports it).
std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double x = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return x;
}

CLI::Validator range_validator(const option_spec& spec) {
  const auto& r = *spec.range;
  std::string desc;  // as CLI11's Range shows it; nothing for "any unsigned value"
  if (r.max < uint32_max)
    desc = (r.min_excluded ? "(" : "[") + number_text(r.min) + " - " + number_text(r.max) + "]";
  else if (r.min > 0 || r.min_excluded)
    desc = (r.min_excluded ? ">" : ">=") + number_text(r.min);
  return CLI::Validator(
      [&spec](std::string& s) {
        auto x = parse_number(s);
        return x ? range_refusal(spec, *x, s) : std::string();
      },
      desc);
}

CLI::Validator allowed_validator(const option_spec& spec) {
  return CLI::Validator([&spec](std::string& s) { return allowed_refusal(spec, s); },
                        "{" + join(spec.allowed, ",") + "}");
}

std::string shown(bool x) { return x ? "true" : "false"; }
std::string shown(std::uint32_t x) { return std::to_string(x); }
std::string shown(double x) { return number_text(x); }
std::string shown(const std::string& x) { return x; }
std::string shown(int x) { return std::to_string(x); }

template <class T>
std::string shown(const std::vector<T>& xs, const std::string& sep) {
  std::vector<std::string> words;
  for (const auto& x : xs) words.push_back(shown(x));
  return join(words, sep);
}

}  // namespace

option_spec::option_spec(std::string k, std::string f, value_kind kd, option_field tg, std::string h)
    : key(std::move(k)), flags(std::move(f)), kind(kd), target(std::move(tg)), help(std::move(h)) {}

option_spec&& option_spec::within(double min, double max) && {
  range = value_range{min, max, false};
  return std::move(*this);
}
option_spec&& option_spec::above(double min, double max) && {
  range = value_range{min, max, true};
  return std::move(*this);
}
option_spec&& option_spec::one_of(std::vector<std::string> values) && {
  allowed = std::move(values);
  return std::move(*this);
}
option_spec&& option_spec::separated_by(std::string sep) && {
  separator = std::move(sep);
  return std::move(*this);
}
option_spec&& option_spec::negated() && {
  inverted = true;
  return std::move(*this);
}
option_spec&& option_spec::when_unset(std::string text) && {
  unset = std::move(text);
  return std::move(*this);
}
option_spec&& option_spec::in_unit(std::string u) && {
  unit = std::move(u);
  return std::move(*this);
}
option_spec&& option_spec::in_group(std::string g) && {
  group = std::move(g);
  return std::move(*this);
}
option_spec&& option_spec::e_g(std::string cli_value) && {
  example = std::move(cli_value);
  return std::move(*this);
}

std::vector<std::string> option_spec::names() const {
  std::vector<std::string> out;
  std::string::size_type start = 0;
  while (start <= flags.size()) {
    auto comma = flags.find(',', start);
    if (comma == std::string::npos) comma = flags.size();
    out.push_back(flags.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string option_spec::main_name() const {
  auto all = names();
  for (const auto& n : all)
    if (n.rfind("--", 0) == 0) return n;
  return all.front();
}

const std::vector<option_spec>& run_option_table() {
  static const std::vector<option_spec> table = make_table();
  return table;
}

const option_spec* find_option(const std::string& key) {
  for (const auto& s : run_option_table())
    if (s.key == key) return &s;
  return nullptr;
}

run_options::run_options() {
  for (const auto& spec : run_option_table())
    std::visit([this](const auto& m) { this->*(m.ptr) = m.initial; }, spec.target);
}

namespace {

void declare(CLI::App& app, run_options& opts, const option_spec& spec) {
  std::visit(
      [&](const auto& m) {
        auto& ref = opts.*(m.ptr);
        using T = std::decay_t<decltype(ref)>;
        if constexpr (std::is_same_v<T, bool>) {
          app.add_flag(spec.flags, ref, spec.help);
        } else {
          CLI::Option* opt = app.add_option(spec.flags, ref, spec.help);
          if (spec.range) opt->check(range_validator(spec));
          if (!spec.allowed.empty()) opt->check(allowed_validator(spec));
          if (spec.kind == value_kind::strings || spec.kind == value_kind::integers ||
              spec.kind == value_kind::env) {
            if (!spec.positional()) opt->allow_extra_args(false);
            if (!spec.positional() && spec.kind != value_kind::env) opt->delimiter(spec.separator[0]);
          }
          std::string def = default_text(spec);
          if (!def.empty() && def != spec.unset) {
            if constexpr (std::is_same_v<T, double>) def = number_text(m.initial);  // no unit
            opt->default_str(def);
          }
        }
      },
      spec.target);
}

}  // namespace

void add_run_options(CLI::App& app, run_options& opts) {
  for (const auto& spec : run_option_table()) declare(app, opts, spec);
}

void add_run_options(CLI::App& app, run_options& opts, const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    const auto* spec = find_option(key);
    if (spec == nullptr) throw std::logic_error("option table: no key '" + key + "'");
    declare(app, opts, *spec);
  }
}

std::string range_refusal(const option_spec& spec, double x, const std::string& text) {
  if (!spec.range) return {};
  const auto& r = *spec.range;
  bool low = r.min_excluded ? !(x > r.min) : !(x >= r.min);
  bool high = !(x <= r.max);
  if (!low && !high) return {};
  std::string lower = (r.min_excluded ? "more than " : "at least ") + number_text(r.min);
  std::string want;
  if (low && !std::isnan(x)) want = lower;
  else if (r.min_excluded) want = lower + " and at most " + number_text(r.max);
  else want = "from " + number_text(r.min) + " to " + number_text(r.max);
  return "must be " + want + ", not " + text;
}

std::string allowed_refusal(const option_spec& spec, const std::string& value) {
  if (spec.allowed.empty()) return {};
  for (const auto& a : spec.allowed)
    if (a == value) return {};
  return "must be one of " + join(spec.allowed, ", ") + ", not '" + value + "'";
}

std::string shown_value(const option_spec& spec, const run_options& opts) {
  return std::visit(
      [&](const auto& m) -> std::string {
        const auto& v = opts.*(m.ptr);
        using T = std::decay_t<decltype(v)>;
        std::string text;
        if constexpr (std::is_same_v<T, bool>) {
          text = shown(spec.inverted ? !v : v);
        } else if constexpr (is_optional<T>::value) {
          if (!v) return spec.unset;
          text = shown(*v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          text = v;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>> ||
                             std::is_same_v<T, std::vector<int>>) {
          text = shown(v, spec.separator);
        } else {
          text = shown(v);
        }
        if (text.empty()) return spec.unset;
        return spec.unit.empty() ? text : text + " " + spec.unit;
      },
      spec.target);
}

std::string default_text(const option_spec& spec) { return shown_value(spec, run_options{}); }

std::string type_text(const option_spec& spec) {
  auto range = [&]() -> std::string {
    if (!spec.range) return "";
    const auto& r = *spec.range;
    if (r.max >= uint32_max) return (r.min_excluded ? ", more than " : ", at least ") + number_text(r.min);
    if (r.min_excluded) return ", more than " + number_text(r.min) + " and at most " + number_text(r.max);
    return ", " + number_text(r.min) + " to " + number_text(r.max);
  };
  switch (spec.kind) {
    case value_kind::flag: return "boolean";
    case value_kind::integer: return "integer" + range();
    case value_kind::number: return "number" + range();
    case value_kind::string:
      return spec.allowed.empty() ? "string" : "string: " + join(spec.allowed, ", ");
    case value_kind::joined: return "string or array of strings";
    case value_kind::strings: return "array of strings";
    case value_kind::integers: return "array of integers" + (spec.range ? " (each" + range().substr(1) + ")" : "");
    case value_kind::env: return "table of strings";
  }
  return "?";
}

}  // namespace gremlins::cli
