#include "cli/stop_watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "cli/exit_codes.hpp"

namespace gremlins::cli {

namespace {

constexpr int watched_signals[] = {SIGINT, SIGTERM, SIGHUP};

// The write end of the pipe of the one stop_watch that exists; the handler needs a global.
int stop_pipe_write = -1;

extern "C" void on_stop_signal(int sig) {
  int saved = errno;
  auto byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] auto n = ::write(stop_pipe_write, &byte, 1);  // non-blocking: a full pipe drops it
  errno = saved;
}

stop_cause cause_of_signal(int sig) {
  switch (sig) {
    case SIGINT: return stop_cause::sigint;
    case SIGTERM: return stop_cause::sigterm;
    case SIGHUP: return stop_cause::sighup;
  }
  return stop_cause::none;
}

bool is_pipe_or_socket(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

}  // namespace

int exit_code_of(stop_cause cause) {
  switch (cause) {
    case stop_cause::none: return exit_ok;
    case stop_cause::sigint: return exit_interrupted;
    case stop_cause::sigterm: return exit_terminated;
    case stop_cause::sighup: return exit_hangup;
    case stop_cause::output_gone: return exit_output_gone;
  }
  return exit_interrupted;
}

std::string describe(stop_cause cause) {
  switch (cause) {
    case stop_cause::none: return "nothing";
    case stop_cause::sigint: return "SIGINT (Ctrl-C)";
    case stop_cause::sigterm: return "SIGTERM";
    case stop_cause::sighup: return "SIGHUP (the terminal was closed)";
    case stop_cause::output_gone: return "a closed standard output";
  }
  return "?";
}

void ignore_sigpipe() {
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  ::sigaction(SIGPIPE, &ign, nullptr);
}

bool output_closed(int fd) {
  if (!is_pipe_or_socket(fd)) return false;
  pollfd p{fd, 0, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

stop_watch::stop_watch() {
  if (stop_pipe_write >= 0) throw std::logic_error("one stop_watch at a time");
  // Close-on-exec: no test or worker may inherit it (one that wrote to it would stop the run).
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error("cannot watch for signals: pipe2 failed");
  stop_pipe_write = pipe_[1];
  watch_stdout_ = is_pipe_or_socket(STDOUT_FILENO);
  thread_ = std::thread([this] { watch(); });
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int i = 0; i < signal_count; ++i) {
    int sig = watched_signals[i];
    struct sigaction old {};
    ::sigaction(sig, nullptr, &old);
    if (old.sa_handler == SIG_IGN) continue;  // nohup, or a background job of a script
    installed_[i] = ::sigaction(sig, &sa, &previous_[i]) == 0;
  }
}

stop_watch::~stop_watch() {
  for (int i = 0; i < signal_count; ++i)
    if (installed_[i]) ::sigaction(watched_signals[i], &previous_[i], nullptr);
  quit_ = true;
  unsigned char quit = 0;
  [[maybe_unused]] auto n = ::write(pipe_[1], &quit, 1);
  if (thread_.joinable()) thread_.join();
  stop_pipe_write = -1;
  ::close(pipe_[0]);
  ::close(pipe_[1]);
}

void stop_watch::set_target(stop_fn fn) {
  std::lock_guard<std::mutex> guard(mx_);
  target_ = std::move(fn);
  if (target_ && cause_ != stop_cause::none) target_(false);
}

void stop_watch::stop_when_output_closed(bool on) {
  bool now;
  {
    std::lock_guard<std::mutex> guard(mx_);
    stop_on_output_closed_ = on;
    now = on && stdout_closed_;
  }
  if (now) stop(stop_cause::output_gone);
}

bool stop_watch::stdout_closed() const {
  {
    std::lock_guard<std::mutex> guard(mx_);
    if (stdout_closed_) return true;
  }
  return output_closed(STDOUT_FILENO);
}

void stop_watch::stop(stop_cause why) {
  std::lock_guard<std::mutex> guard(mx_);
  auto none = stop_cause::none;
  bool first = cause_.compare_exchange_strong(none, why);
  if (!first && why == stop_cause::output_gone) return;  // stopped already: nothing to add
  if (target_) target_(!first);
}

void stop_watch::watch() {
  bool poll_stdout = watch_stdout_;
  while (!quit_) {
    pollfd p[2] = {{pipe_[0], POLLIN, 0}, {STDOUT_FILENO, 0, 0}};
    // Events 0 on stdout: only POLLERR / POLLHUP, which a pipe or socket reports once its
    // reader has gone; then it is watched no more.
    if (::poll(p, poll_stdout ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (poll_stdout && (p[1].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
      poll_stdout = false;
      bool stop_now;
      {
        std::lock_guard<std::mutex> guard(mx_);
        stdout_closed_ = true;
        stop_now = stop_on_output_closed_;
      }
      if (stop_now) stop(stop_cause::output_gone);
    }
    if ((p[0].revents & POLLIN) == 0) continue;
    unsigned char bytes[64];
    ssize_t got = ::read(pipe_[0], bytes, sizeof bytes);
    for (ssize_t i = 0; i < got && !quit_; ++i)
      if (auto why = cause_of_signal(bytes[i]); why != stop_cause::none) stop(why);
  }
}

}  // namespace gremlins::cli
