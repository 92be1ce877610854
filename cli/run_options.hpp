#pragma once
// Everything `gremlin-actors run` can be told, before it is turned into a pool_config and a
// command_spec. Values come from defaults, then the config file, then the command line.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gremlins::cli {

/// The options of `gremlin-actors run`.
struct run_options {
  // What to test.
  std::string manifest;
  std::string gremlins_csv;
  std::string gremlin_ids_file;
  std::vector<std::string> command;       ///< after `--`
  std::string worker_command;             ///< warm worker argv, split into words
  // Where and how.
  std::string rootdir = ".";
  std::string instrumented_dir;
  std::vector<std::string> env;           ///< K=V
  bool parallel = false;
  std::optional<std::uint32_t> workers;
  bool batch = false;
  std::uint32_t batch_size = 10;
  std::optional<double> timeout;          ///< seconds; unset: adaptive
  std::string distribution = "pull";
  std::string executor = "auto";
  std::string start_method = "auto";
  bool no_warmup = false;
  std::uint32_t max_reuse = 0;
  bool no_retry = false;                  ///< a gremlin whose worker died is error at once
  std::uint32_t max_restarts = 16;
  double warmup_timeout = 60;             ///< seconds
  std::uint32_t warmup_retries = 2;
  std::vector<int> error_exit_codes{2, 3, 4, 5};
  bool signal_is_error = false;
  // pytest adapter.
  bool pytest = false;
  std::string project;
  std::string python;
  std::vector<std::string> operators;
  std::vector<std::string> targets;
  // Output.
  std::string json;
  std::string report_elements;
  std::string report_html;
  std::optional<double> fail_under;
  bool quiet = false;
  bool no_color = false;
  bool show_all = false;
};

}  // namespace gremlins::cli
