#include "runtime/formats/atomic_file.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace gremlins {

namespace {

namespace fs = std::filesystem;

// What a path is, for writing: where the bytes go and how.
enum class kind {
  replace,  // a regular file or nothing yet: `target` (the final link target) is replaced
  direct,   // a character device, a FIFO or a /proc fd link: opened and written as it is
  folder,   // refused
  refused,  // anything else (socket, block device, a link loop, ...): `why`
};

struct resolved {
  kind k = kind::refused;
  fs::path target;      // for kind::replace
  bool exists = false;  // for kind::replace: the target is there (its mode is kept)
  mode_t mode = 0;
  std::string why;      // for kind::refused
};

std::string in_quotes(const fs::path& p) { return "'" + p.string() + "'"; }

fs::path folder_of(const fs::path& p) {
  auto dir = p.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// Under /proc (or /sys) a "symlink" such as /proc/self/fd/1 is a handle on an open file, and
// nothing there can be renamed over: those are written directly.
bool in_proc(const fs::path& dir) {
  std::error_code ec;
  auto real = fs::canonical(dir, ec).string();
  if (ec) return false;
  for (const char* root : {"/proc", "/sys"}) {
    auto n = std::strlen(root);
    if (real.compare(0, n, root) == 0 && (real.size() == n || real[n] == '/')) return true;
  }
  return false;
}

// Follows the chain of symlinks from `path` to the last name (which may not exist yet), as the
// kernel would: a relative target is taken from the folder holding the link.
resolved follow_links(const std::string& path) {
  resolved r;
  fs::path p = path;
  for (int hops = 0; hops < 40; ++hops) {
    if (in_proc(folder_of(p))) {
      r.k = kind::direct;
      return r;
    }
    struct stat ls {};
    if (::lstat(p.c_str(), &ls) != 0 || !S_ISLNK(ls.st_mode)) {
      r.k = kind::replace;
      r.target = p;
      return r;
    }
    std::error_code ec;
    fs::path next = fs::read_symlink(p, ec);
    if (ec) {
      r.why = "cannot read the symlink " + in_quotes(p) + ": " + ec.message();
      return r;
    }
    p = next.is_absolute() ? next : folder_of(p) / next;
  }
  r.why = "too many levels of symbolic links";
  return r;
}

resolved resolve(const std::string& path) {
  resolved r;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      r.k = kind::folder;
      return r;
    }
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
      r.k = kind::direct;
      return r;
    }
    if (!S_ISREG(st.st_mode)) {
      r.why = S_ISSOCK(st.st_mode) ? "it is a socket" : S_ISBLK(st.st_mode) ? "it is a block device"
                                                                              : "it is not a file";
      return r;
    }
    r = follow_links(path);
    r.exists = true;
    r.mode = st.st_mode;
    return r;
  }
  int err = errno;
  if (err != ENOENT) {  // ENOTDIR (a file used as a folder), EACCES, ELOOP, ...
    r.why = std::strerror(err);
    return r;
  }
  return follow_links(path);  // not there yet, or a dangling symlink: its target is created
}

[[noreturn]] void fail(const char* what, const std::string& path, const std::string& why) {
  throw std::runtime_error(std::string("cannot write ") + what + " '" + path + "': " + why);
}

// Writes all of `text` to `fd`. A reader that went away (EPIPE) is an error, not a SIGPIPE.
int write_all(int fd, const std::string& text) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  int err = 0;
  for (std::size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (err == EPIPE && !was_pending) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);  // the SIGPIPE this write raised, not someone else's
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return err;
}

void write_directly(const std::string& path, const std::string& text, const char* what) {
  // O_APPEND: a /dev/stdout that is a redirected file gets the text after what is there.
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) fail(what, path, std::strerror(errno));
  int err = write_all(fd, text);
  if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
  if (err != 0) fail(what, path, std::strerror(err));
}

void replace_file(const std::string& path, const resolved& r, const std::string& text, const char* what) {
  static std::atomic<unsigned> counter{0};
  // Same folder as the target, so the rename stays on one file system and is atomic.
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = r.target.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    // O_EXCL: never through a link someone placed there; 0666 less the umask, as a new file gets.
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    auto why = std::strerror(errno);
    fail(what, path, r.target.string() == path ? std::string(why)
                                               : "its target " + in_quotes(r.target) + ": " + why);
  }
  if (r.exists) (void)::fchmod(fd, r.mode & 07777);  // the replaced file's permission bits
  int err = write_all(fd, text);
  if (err == 0 && ::fsync(fd) != 0 && errno != EINVAL) err = errno;
  if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), r.target.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    fail(what, path, std::strerror(err));
  }
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& text, const char* what) {
  if (path.empty()) fail(what, path, "no path given");
  resolved r = resolve(path);
  switch (r.k) {
    case kind::folder: fail(what, path, "it is a folder");
    case kind::refused: fail(what, path, r.why);
    case kind::direct: write_directly(path, text, what); return;
    case kind::replace: replace_file(path, r, text, what); return;
  }
}

std::optional<std::string> output_path_problem(const std::string& path,
                                               const std::vector<std::string>& others) {
  if (path.empty()) return std::string("no path given");
  auto q = in_quotes(path);
  resolved r = resolve(path);
  switch (r.k) {
    case kind::folder: return q + " is a folder";
    case kind::refused: return q + ": " + r.why;
    case kind::direct:
      if (::access(path.c_str(), W_OK) != 0) return q + " is not writable: " + std::strerror(errno);
      return std::nullopt;  // a terminal or a pipe: nothing to clobber
    case kind::replace: break;
  }
  fs::path dir = folder_of(r.target);
  struct stat ds {};
  if (::stat(dir.c_str(), &ds) != 0) {
    if (errno == ENOENT) return q + ": the folder " + in_quotes(dir) + " does not exist";
    return q + ": the folder " + in_quotes(dir) + ": " + std::strerror(errno);
  }
  if (!S_ISDIR(ds.st_mode)) return q + ": " + in_quotes(dir) + " is not a folder";
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return q + ": the folder " + in_quotes(dir) + " is not writable";
  if (r.exists && (ds.st_mode & S_ISVTX) && ::geteuid() != 0 && ds.st_uid != ::geteuid()) {
    struct stat ts {};
    if (::stat(r.target.c_str(), &ts) == 0 && ts.st_uid != ::geteuid())
      return q + " belongs to another user in the sticky folder " + in_quotes(dir) +
             ": it cannot be replaced";
  }
  for (const auto& other : others) {
    if (other.empty()) continue;
    std::error_code ec;
    bool same = false;
    if (r.exists && fs::exists(other, ec)) {
      same = fs::equivalent(path, other, ec) && !ec;
    } else {
      auto a = fs::weakly_canonical(fs::absolute(r.target, ec), ec);
      std::error_code ec2;
      auto b = fs::weakly_canonical(fs::absolute(other, ec2), ec2);
      same = !ec && !ec2 && a == b;
    }
    if (same) return q + " is the same file as " + in_quotes(other);
  }
  return std::nullopt;
}

}  // namespace gremlins
