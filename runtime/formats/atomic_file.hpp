#pragma once
// The one way the runtime writes an output file: the whole text, or nothing (a reader never sees
// half a file, and an interrupted write leaves the old one), without changing what the path is.

#include <optional>
#include <string>
#include <vector>

namespace gremlins {

/// Writes `text` to `path`; `what` names the file in the error ("results file").
/// - a regular file or a new path: a temporary file in the same folder, then a rename over it
///   (the old file's permission bits are kept);
/// - a symlink (a chain of them, or a dangling one): written through: the final target is
///   replaced that way in the target's folder, and the link stays a link;
/// - a character device, a FIFO, or a /proc/self/fd/N link (`/dev/stdout`, `/dev/fd/3`): opened
///   for writing and written directly: no temporary file, no rename;
/// - a folder: refused.
/// Throws std::runtime_error naming `what` and `path` when it cannot.
void write_file_atomically(const std::string& path, const std::string& text, const char* what);

/// Why `path` cannot take an output file, or nullopt when it can; for the CLI to check every
/// output option before anything runs. A problem: `path` is empty or a folder (or a socket);
/// its folder (the final target's, through symlinks) does not exist, is not a folder, or is
/// not writable; a device or FIFO that is not writable; `path` is the same file as one of
/// `others` (the inputs: manifest, --gremlin-ids file, config file; and the other outputs):
/// std::filesystem::equivalent when both exist, the same absolute path through symlinks when
/// not. Devices and FIFOs are never "the same file" as an input (writing them clobbers nothing).
/// The reason names the paths, e.g. "'out/r.json': the folder 'out' does not exist".
std::optional<std::string> output_path_problem(const std::string& path,
                                               const std::vector<std::string>& others = {});

}  // namespace gremlins
