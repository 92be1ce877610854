#include "runtime/formats/atomic_file.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace gremlins {

void write_file_atomically(const std::string& path, const std::string& text, const char* what) {
  namespace fs = std::filesystem;
  // Same folder as the target, so the rename stays on one file system and is atomic.
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw std::runtime_error(std::string("cannot write ") + what + " '" + path + "'");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error(std::string("cannot write ") + what + " '" + path + "': " +
                             ec.message());
  }
}

}  // namespace gremlins
