#include "runtime/process/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gremlins::process_detail {

std::string errno_text(int err) { return std::strerror(err); }

unique_fd raise_fd(unique_fd fd) {
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, high_fd);
  if (moved < 0) throw std::runtime_error("fcntl(F_DUPFD_CLOEXEC): " + errno_text(errno));
  return unique_fd(moved);
}

std::pair<unique_fd, unique_fd> make_pipe(int child_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2: " + errno_text(errno));
  unique_fd ends[2] = {unique_fd(p[0]), unique_fd(p[1])};
  ends[child_end] = raise_fd(std::move(ends[child_end]));
  return {std::move(ends[0]), std::move(ends[1])};
}

}  // namespace gremlins::process_detail
