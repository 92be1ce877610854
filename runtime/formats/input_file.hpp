#pragma once
// The one way the runtime reads an input file whole (manifest, --gremlin-ids file, results file):
// a folder, a device or an endless stream is refused instead of read until memory runs out.

#include <cstdint>
#include <string>

namespace gremlins {

/// The largest input file read: 1 GiB (a manifest of millions of gremlins is a few hundred MiB).
inline constexpr std::uint64_t max_input_file_bytes = std::uint64_t(1) << 30;

/// A whole file, or why it cannot be had.
struct input_file {
  std::string text;
  std::string problem;  ///< empty when `text` is the whole file; else "is a folder, not a file", ...
};

/// Reads `path` (symlinks followed): a regular file up to `max_bytes`, or a FIFO or pipe (as
/// `<(command)` gives) read up to `max_bytes`. Refused, in `problem`: a missing or unreadable
/// path, a folder, a character or block device (/dev/zero, a terminal), a socket, anything
/// larger than `max_bytes`. Never throws for the file's sake.
input_file read_input_file(const std::string& path, std::uint64_t max_bytes = max_input_file_bytes);

/// "1 GiB", "512 KiB", "100 bytes": a size for messages.
std::string size_text(std::uint64_t bytes);

}  // namespace gremlins
