#include "cli/progress_line.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fmt/color.h>
#include <fmt/format.h>
#include <vector>
#include <sys/ioctl.h>
#include <unistd.h>

#include "runtime/formats/run_report.hpp"

namespace gremlins {

namespace {

double steady_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

std::string paint(const std::string& text, fmt::terminal_color color, bool on) {
  return on ? fmt::format(fmt::fg(color), "{}", text) : text;
}

double rate_of(const progress& p, double now_ms) {
  return now_ms > 0 ? p.completed / (now_ms / 1000.0) : 0;
}

std::string eta_of(const progress& p, double rate) {
  if (p.completed >= p.total) return "0s";
  if (rate <= 0) return "?";
  return format_duration((p.total - p.completed) / rate);
}

std::string bar(double percentage, std::size_t width) {
  auto full = static_cast<std::size_t>(percentage / 100.0 * width);
  if (full > width) full = width;
  return "[" + std::string(full, '#') + std::string(width - full, '.') + "]";
}

// run_report's rule for a cancelled gremlin, for one result of a run being stopped.
bool is_cancelled_while_stopping(const worker_result& r) {
  static const run_report stopping = [] {
    run_report s;
    s.interrupted = true;
    return s;
  }();
  return is_cancelled(stopping, r);
}

}  // namespace

std::string format_duration(double seconds) {
  auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}:{:02}", s / 60, s % 60);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

progress_line::progress_line(std::FILE* out, progress_options options)
    : out_(out), options_(options), started_ms_(steady_ms()) {
  // A plain log needs no "0 %" line: its first line waits for a step or the interval from the
  // start; a terminal shows the first result at once.
  last_draw_ms_ = options_.is_tty ? -1e18 : 0;
}

progress_line::~progress_line() { finish(); }

double progress_line::now_ms(const progress& p) const {
  return p.elapsed_ms > 0 ? p.elapsed_ms : steady_ms() - started_ms_;
}

std::string progress_line::tty_text(const progress& p, double now, bool c, layout l) const {
  double rate = rate_of(p, now);
  std::string text = fmt::format("{}/{} {:3.0f}%", p.completed, p.total, p.percentage());
  if (l.bar > 0) text += " " + bar(p.percentage(), l.bar);
  text += fmt::format(" {} {}", paint(fmt::format("zapped {}", p.count(status::zapped)), fmt::terminal_color::green, c),
                      paint(fmt::format("survived {}", p.count(status::survived)), fmt::terminal_color::red, c));
  if (l.rate) text += fmt::format("  {:.1f} g/s", rate);
  if (l.eta) text += "  ETA " + eta_of(p, rate);
  return text;
}

std::string progress_line::plain_text(const progress& p, double now) const {
  double rate = rate_of(p, now);
  return fmt::format("gremlin-actors: {}/{} ({:.0f}%) zapped {}, survived {}, {:.1f} gremlins/s, "
                     "{} left\n",
                     p.completed, p.total, p.percentage(), p.count(status::zapped),
                     p.count(status::survived), rate, eta_of(p, rate));
}

// An interrupted run: how many were tested of all, and no rate or time left (the rest was
// cancelled, not tested: a rate or 100 % would count what never ran).
std::string progress_line::stopped_tty_text(const progress& p, bool c, layout l) const {
  std::uint32_t tested = p.completed >= not_tested_ ? p.completed - not_tested_ : 0;
  double share = p.total == 0 ? 0 : 100.0 * tested / p.total;
  std::string text = fmt::format("interrupted: {}/{} tested {:3.0f}%", tested, p.total, share);
  if (l.bar > 0) text += " " + bar(share, l.bar);
  return text + fmt::format(" {} {}", paint(fmt::format("zapped {}", p.count(status::zapped)), fmt::terminal_color::green, c),
                            paint(fmt::format("survived {}", p.count(status::survived)), fmt::terminal_color::red, c));
}

// Narrower and narrower: a shorter bar, no rate, no bar, no time left; then cut. Widths are
// measured without colour (colour codes take no room on screen).
std::string progress_line::fitted_tty_text(const progress& p, double now, std::size_t room) const {
  auto text = [&](layout l, bool c) {
    return stopped_ ? stopped_tty_text(p, c, l) : tty_text(p, now, c, l);
  };
  constexpr std::size_t min_bar = 10;
  std::vector<layout> tries{{20, true, true}};
  for (bool rate : {true, false}) {
    // The widest bar that fits beside the rest: " [" + bar + "]".
    std::size_t rest = text({0, rate, true}, false).size() + 3;
    if (room >= rest + min_bar) tries.push_back({std::min<std::size_t>(20, room - rest), rate, true});
  }
  tries.push_back({0, false, true});
  tries.push_back({0, false, false});
  for (const layout& l : tries)
    if (text(l, false).size() <= room) return text(l, options_.color);
  return cut_to_width(text(tries.back(), options_.color), room);
}

std::string progress_line::stopped_plain_text(const progress& p) const {
  std::uint32_t tested = p.completed >= not_tested_ ? p.completed - not_tested_ : 0;
  double share = p.total == 0 ? 0 : 100.0 * tested / p.total;
  return fmt::format("gremlin-actors: interrupted: {} of {} gremlins tested ({:.0f}%), zapped {}, "
                     "survived {}\n",
                     tested, p.total, share, p.count(status::zapped), p.count(status::survived));
}

bool progress_line::is_stopping() const { return options_.stopping && options_.stopping(); }

void progress_line::draw(const progress& p, double now) {
  bool ok;
  if (options_.is_tty) {
    // The last column is left free: writing into it makes some terminals wrap at once. The
    // line is redrawn from its start and what a longer line left behind is erased (ESC [ K).
    std::size_t columns = options_.columns > 0 ? options_.columns : terminal_columns(::fileno(out_));
    std::string text = fitted_tty_text(p, now, columns > 1 ? columns - 1 : 1);
    ok = std::fputs(("\r" + text + "\x1b[K").c_str(), out_) != EOF;
  } else {
    ok = std::fputs((stopped_ ? stopped_plain_text(p) : plain_text(p, now)).c_str(), out_) != EOF;
    last_bucket_ = static_cast<unsigned>(p.percentage()) / options_.plain_step_percent;
  }
  ok = std::fflush(out_) == 0 && ok;
  // The reader has gone (EPIPE), the terminal hung up (EIO), the disk is full: stop drawing.
  if (!ok) lost_ = true;
  last_draw_ms_ = now;
  pending_ = false;
  drawn_stopped_ = stopped_;
}

bool progress_line::output_lost() {
  std::lock_guard<std::mutex> lock(mutex_);
  return lost_;
}

void progress_line::update(const progress& p, const worker_result& last) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (options_.quiet || finished_ || lost_) return;
  if (!stopped_ && is_stopping()) stopped_ = true;
  if (stopped_ && is_cancelled_while_stopping(last)) ++not_tested_;
  double now = now_ms(p);
  last_ = p;
  last_now_ = now;
  pending_ = true;
  bool done = p.completed >= p.total;
  bool due;
  if (options_.is_tty) {
    due = !seen_ || done || now - last_draw_ms_ >= options_.tty_interval_ms;
  } else if (stopped_) {
    due = done;  // one interrupted line at the end, not one per cancellation
  } else {
    unsigned bucket = static_cast<unsigned>(p.percentage()) / options_.plain_step_percent;
    due = done || bucket > last_bucket_ || now - last_draw_ms_ >= options_.plain_interval_ms;
  }
  seen_ = true;
  if (due) draw(p, now);
}

void progress_line::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (options_.quiet || finished_) return;
  finished_ = true;
  if (!seen_ || lost_) return;
  if (!stopped_ && is_stopping()) stopped_ = true;
  if (stopped_ && !drawn_stopped_) pending_ = true;  // the last line says it was interrupted
  if (pending_) draw(last_, last_now_);
  if (options_.is_tty && !lost_) {
    std::fputs("\n", out_);
    std::fflush(out_);
  }
}

std::size_t terminal_columns(int fd) {
  struct winsize ws {};
  if (fd >= 0 && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* env = std::getenv("COLUMNS"); env && *env) {
    char* end = nullptr;
    unsigned long n = std::strtoul(env, &end, 10);
    if (*end == '\0' && n > 0 && n < 100000 && env[0] != '-') return n;
  }
  return 80;
}

std::string cut_to_width(const std::string& text, std::size_t room) {
  std::string out;
  std::size_t shown = 0;
  bool escapes = false;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      std::size_t end = i + 2;
      while (end < text.size() && !(text[end] >= 0x40 && text[end] <= 0x7e)) ++end;
      out.append(text, i, end + 1 - i);
      escapes = true;
      i = end + 1;
      continue;
    }
    // One character: a UTF-8 lead byte and its continuation bytes.
    std::size_t next = i + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    if (shown == room) break;
    out.append(text, i, next - i);
    ++shown;
    i = next;
  }
  if (escapes && out.size() < text.size()) out += "\x1b[0m";
  return out;
}

bool stdout_is_tty() { return ::isatty(STDOUT_FILENO) == 1; }

bool color_enabled(bool no_color_flag, bool is_tty) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color_flag || (no_color && *no_color)) return false;
  return is_tty;
}

}  // namespace gremlins
