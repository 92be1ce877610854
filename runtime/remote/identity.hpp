#pragma once
// What a worker node tests, as digests a coordinator can compare with its own (docs/nodes.md,
// "What must be the same"): the commands, the source files the gremlins name and the
// instrumented sources, and the gremlin list. SHA-256 in hex. Paths of the checkout itself
// (rootdir, instrumented dir) are replaced by placeholders, so two checkouts in different
// folders of different machines have the same digests when they hold the same things.

#include <string>
#include <vector>

#include "messages/gremlin.hpp"
#include "messages/pool_config.hpp"

namespace gremlins {

/// SHA-256 of `data`, in lower-case hex.
std::string sha256_hex(const std::string& data);

/// The command as it is compared: argv, worker argv, environment, error exit codes,
/// signal_is_error; rootdir and instrumented dir written as <rootdir> and <instrumented>.
std::string command_text(const command_spec& cmd);

/// sha256_hex(command_text(cmd)).
std::string command_digest(const command_spec& cmd);

/// The files a run's gremlins name, relative to the rootdir, once each and sorted; absolute
/// paths outside the rootdir and paths that climb out of it ("..") are left out.
std::vector<std::string> source_files(const std::vector<gremlin>& gremlins, const std::string& rootdir);

/// Digest of the contents of `files` (relative to cmd.rootdir; one that cannot be read counts
/// as missing) and of every file under cmd.instrumented_dir (caches such as __pycache__ left
/// out). A node that refuses a path (absolute, or climbing out) counts it as missing.
std::string sources_digest(const command_spec& cmd, const std::vector<std::string>& files);

/// Digest of what a gremlin list says (ids, places, operators, texts, tests, static), not of
/// what a run adds (time limits, test durations).
std::string gremlin_list_digest(const std::vector<gremlin>& gremlins);

/// The first 16 hex digits, for messages.
inline std::string short_digest(const std::string& d) { return d.substr(0, 16); }

}  // namespace gremlins
