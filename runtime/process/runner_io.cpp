// The runner's descriptors: output kept as a bounded tail, reply lines framed (and capped at
// max_reply_line), requests written without blocking. All on the runner's I/O thread.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/process/runner_impl.hpp"

namespace gremlins {

namespace asio = boost::asio;
using namespace process_detail;

namespace {

constexpr std::size_t max_reply_line = process_runner::max_reply_line;

/// Keeps the last `cap` bytes of what is appended; amortised O(1) per byte.
void keep_tail(std::string& tail, std::size_t cap, const char* data, std::size_t n) {
  if (cap == 0) return;
  if (n >= cap) {
    tail.assign(data + n - cap, cap);
    return;
  }
  tail.append(data, n);
  if (tail.size() > 2 * cap) tail.erase(0, tail.size() - cap);
}


}  // namespace

void process_runner::impl::read_output(const child_ptr& c) {
  c->output.async_read_some(
      asio::buffer(c->output_buf), [this, c](const boost::system::error_code& ec, std::size_t n) {
        keep_tail(c->tail, c->tail_cap, c->output_buf.data(), n);
        if (ec || !c->output.is_open()) {
          boost::system::error_code ignored;
          c->output.close(ignored);
          c->output_open = false;
          return maybe_finish(c);
        }
        read_output(c);
      });
}

void process_runner::impl::read_replies(const child_ptr& c) {
  c->replies.async_read_some(
      asio::buffer(c->reply_buf), [this, c](const boost::system::error_code& ec, std::size_t n) {
        std::vector<std::string> lines;
        split_replies(*c, c->reply_buf.data(), n, lines);
        if (!lines.empty() && c->callbacks.on_reply_lines && !c->finished)
          c->callbacks.on_reply_lines(std::move(lines));
        if (ec || !c->replies.is_open()) {
          boost::system::error_code ignored;
          c->replies.close(ignored);
          c->replies_open = false;
          return maybe_finish(c);
        }
        read_replies(c);
      });
}

void process_runner::impl::split_replies(running_child& c, const char* data, std::size_t n,
                                         std::vector<std::string>& lines) {
  const char* end = data + n;
  auto append_capped = [&c](const char* p, std::size_t len) {
    std::size_t room = max_reply_line - c.partial.size();
    if (len > room) {
      c.partial_truncated = true;
      // Reported at once: a worker that never ends the line must not pass for a slow one.
      if (!c.overflow_reported && c.callbacks.on_reply_overflow && !c.finished) c.callbacks.on_reply_overflow();
      c.overflow_reported = true;
    }
    c.partial.append(p, std::min(len, room));
  };
  while (data < end) {
    auto nl = static_cast<const char*>(std::memchr(data, '\n', end - data));
    if (nl == nullptr) {
      append_capped(data, end - data);
      return;
    }
    if (c.partial.empty() && !c.partial_truncated) {
      if (static_cast<std::size_t>(nl - data) > max_reply_line && c.callbacks.on_reply_overflow && !c.finished)
        c.callbacks.on_reply_overflow();
      lines.emplace_back(data, std::min<std::size_t>(nl - data, max_reply_line));
    } else {
      append_capped(data, nl - data);
      lines.push_back(std::move(c.partial));
      c.partial.clear();
      c.partial_truncated = false;
      c.overflow_reported = false;
    }
    data = nl + 1;
  }
}

void process_runner::impl::flush_requests(const child_ptr& c) {
  if (c->writing || !c->requests.is_open()) return;
  // Write at once while the pipe has room (the common case for small requests); only a
  // full pipe waits for writability, so a request costs one syscall and no extra handler.
  while (c->written < c->pending.size()) {
    ssize_t n = ::write(c->requests.native_handle(), c->pending.data() + c->written,
                        c->pending.size() - c->written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {  // EPIPE: the worker closed its end or died, nothing more to send
      c->pending.clear();
      c->written = 0;
      return close_requests(*c);
    }
    c->written += static_cast<std::size_t>(n);
  }
  if (c->written == c->pending.size()) {
    c->pending.clear();
    c->written = 0;
    if (c->close_after_write) close_requests(*c);
    return;
  }
  if (c->written > c->pending.size() / 2) {  // compact rarely: amortised O(1) per byte
    c->pending.erase(0, c->written);
    c->written = 0;
  }
  c->writing = true;
  c->requests.async_wait(asio::posix::stream_descriptor::wait_write,
                         [this, c](const boost::system::error_code& ec) {
                           c->writing = false;
                           if (ec) return;
                           flush_requests(c);
                         });
}

void process_runner::impl::close_requests(running_child& c) {
  boost::system::error_code ignored;
  c.requests.close(ignored);
}


}  // namespace gremlins
