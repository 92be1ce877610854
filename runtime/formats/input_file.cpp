#include "runtime/formats/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gremlins {

namespace {

struct fd_closer {
  int fd;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
};

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "is a folder, not a file";
  if (S_ISCHR(mode)) return "is a character device, not a file (it may never end)";
  if (S_ISBLK(mode)) return "is a block device, not a file";
  if (S_ISSOCK(mode)) return "is a socket, not a file";
  return nullptr;
}

}  // namespace

std::string size_text(std::uint64_t bytes) {
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1ull << 10) && bytes % (1ull << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

input_file read_input_file(const std::string& path, std::uint64_t max_bytes) {
  input_file out;
  struct stat st {};
  // stat before open: opening a device can have effects (a tape rewinds, a terminal is taken).
  if (::stat(path.c_str(), &st) != 0) {
    out.problem = std::string("cannot be read: ") + std::strerror(errno) + " (does it exist?)";
    return out;
  }
  if (const char* kind = kind_of(st.st_mode)) {
    out.problem = kind;
    return out;
  }
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    out.problem = "is larger than the limit of " + size_text(max_bytes) + " (" +
                  std::to_string(st.st_size) + " bytes)";
    return out;
  }
  fd_closer f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (f.fd < 0) {
    out.problem = std::string("cannot be read: ") + std::strerror(errno);
    return out;
  }
  // What was opened is what counts (the path may have changed since the stat).
  if (::fstat(f.fd, &st) != 0) {
    out.problem = std::string("cannot be read: ") + std::strerror(errno);
    return out;
  }
  if (const char* kind = kind_of(st.st_mode)) {
    out.problem = kind;
    return out;
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0)
    out.text.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(st.st_size, max_bytes)));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.problem = std::string("cannot be read: ") + std::strerror(errno);
      out.text.clear();
      return out;
    }
    if (n == 0) break;
    if (out.text.size() + static_cast<std::uint64_t>(n) > max_bytes) {
      out.problem = "is larger than the limit of " + size_text(max_bytes) +
                    (S_ISFIFO(st.st_mode) ? " (a pipe that did not end)" : "");
      out.text.clear();
      out.text.shrink_to_fit();
      return out;
    }
    out.text.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace gremlins
