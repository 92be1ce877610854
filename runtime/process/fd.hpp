#pragma once
// File descriptors of the process runner: one owner per descriptor, close-on-exec pipes, and
// child-side ends raised out of the way of the dup2 calls that put them in place.

#include <string>
#include <unistd.h>

#include <utility>

namespace gremlins::process_detail {

// Child-side fds are moved at or above this number so dup2 onto 0..4 never clobbers one.
constexpr int high_fd = 10;

/// Owns one file descriptor.
class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~unique_fd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

/// strerror(err) as a string.
std::string errno_text(int err);

/// Moves `fd` to a close-on-exec descriptor >= high_fd.
unique_fd raise_fd(unique_fd fd);

/// A close-on-exec pipe; `child_end` (0: read, 1: write) is raised above high_fd.
std::pair<unique_fd, unique_fd> make_pipe(int child_end);

}  // namespace gremlins::process_detail
