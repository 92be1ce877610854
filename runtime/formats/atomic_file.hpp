#pragma once
// The one way the runtime writes a file: the whole text, or nothing (a reader never sees half
// a file, and an interrupted write leaves the old one).

#include <string>

namespace gremlins {

/// Writes `text` to `path` through a temporary file in the same folder and a rename; `what`
/// names the file in the error ("results file"). Throws std::runtime_error when it cannot.
void write_file_atomically(const std::string& path, const std::string& text, const char* what);

}  // namespace gremlins
