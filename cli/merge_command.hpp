#pragma once
// `gremlin-actors merge SHARD.json… --json ALL.json`: the results files of the shards of one
// run (`run --shard K/N` on N machines) combined into the results of the whole run.

#include <cstdio>
#include <string>
#include <vector>

namespace gremlins::cli {

/// What `gremlin-actors merge` is told.
struct merge_command_options {
  std::vector<std::string> shards;  ///< results files written by `run --shard K/N --json`
  std::string json;                 ///< the merged results file
  std::string report_elements;
  std::string report_html;
  bool quiet = false;
};

/// Merges; refuses (exit_bad_input, naming the files) shards of different runs (selection
/// digests differ), of different shard counts, a shard given twice, one missing, or a
/// gremlin present in two shards. Writes the reports and prints the console report.
int merge_command(const merge_command_options& o, std::FILE* out = stdout, std::FILE* err = stderr);

}  // namespace gremlins::cli
