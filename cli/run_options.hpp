#pragma once
// Everything `gremlin-actors run` can be told, before it is turned into a pool_config and a
// command_spec. Values come from defaults, then the config file, then the command line.
// The defaults, config keys, flags and checks of these fields are in one table,
// cli/options.cpp (run_option_table()); the constructor applies its defaults.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gremlins::cli {

/// The options of `gremlin-actors run`.
struct run_options {
  /// Every field at its default from the option table.
  run_options();

  // What to test.
  std::string manifest;
  std::string gremlins_csv;
  std::string gremlin_ids_file;
  std::vector<std::string> command;       ///< after `--`
  std::string worker_command;             ///< warm worker argv, split into words
  // Where and how.
  std::string rootdir;
  std::string instrumented_dir;
  std::vector<std::string> env;           ///< K=V
  bool parallel{};
  std::optional<std::uint32_t> workers;
  bool batch{};
  std::uint32_t batch_size{};
  std::optional<double> timeout;          ///< seconds; unset: adaptive
  std::string distribution;
  std::string executor;
  std::string start_method;
  bool no_warmup{};
  std::uint32_t max_reuse{};
  bool no_retry{};                        ///< a gremlin whose worker died is error at once
  std::uint32_t max_restarts{};
  double warmup_timeout{};                ///< seconds
  std::uint32_t warmup_retries{};
  std::vector<int> error_exit_codes;
  bool signal_is_error{};
  // Worker nodes (docs/nodes.md).
  std::vector<std::string> nodes;         ///< HOST:PORT
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::uint32_t timeout_confirmations{};  ///< re-runs with a doubled limit before a timeout counts
  // The results store (docs/results-store.md).
  std::string store;                      ///< "" with --pytest: PROJECT/.gremlins/results.db
  bool no_store{};
  bool resume{};
  bool force{};
  std::string shard;                      ///< K/N
  std::string since;                      ///< a git revision
  std::string in_diff;                    ///< a unified diff file
  // pytest adapter.
  bool pytest{};
  std::string project;
  std::string python;
  std::vector<std::string> operators;
  std::vector<std::string> targets;
  std::vector<std::string> exclude;       ///< files, folders or globs not to mutate
  // Output.
  std::string json;
  std::string report_elements;
  std::string report_html;
  std::optional<double> fail_under;
  bool quiet{};
  bool no_color{};
  bool show_all{};
};

}  // namespace gremlins::cli
