// Live progress: the redrawn terminal line (throttled), plain periodic lines, quiet, colour,
// and one run under a real pseudo-terminal.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <pty.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <vector>
#include <unistd.h>

#include "cli/progress_line.hpp"
// The test binary links the library only, not the CLI's objects: compile the CLI piece here
// unless the build links it in (then it defines GREMLINS_TESTS_LINK_CLI).
#ifndef GREMLINS_TESTS_LINK_CLI
#include "cli/progress_line.cpp"
#endif

using namespace gremlins;

namespace {

/// Reads everything from a fd until EOF (or EIO from a pty whose other side closed).
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    else if (n < 0 && errno == EINTR) continue;
    else break;
  }
  return out;
}

/// Runs `feed` against a progress_line writing into a pipe; returns what it wrote.
template <class Feed>
std::string capture(progress_options o, Feed feed) {
  if (o.columns == 0) o.columns = 120;  // a pipe has no width: the tests that fit lines set one
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::FILE* w = ::fdopen(fds[1], "w");
  {
    progress_line line(w, o);
    feed(line);
  }
  std::fclose(w);
  std::string out = drain(fds[0]);
  ::close(fds[0]);
  return out;
}

/// `n` results of `total`, every `step_ms` apart; every 4th survives.
void feed_results(progress_line& line, std::uint32_t n, std::uint32_t total, double step_ms) {
  progress p;
  p.total = total;
  for (std::uint32_t i = 1; i <= n; ++i) {
    status s = i % 4 == 0 ? status::survived : status::zapped;
    p.completed = i;
    ++p.counts[static_cast<std::size_t>(s)];
    p.elapsed_ms = i * step_ms;
    line.update(p, worker_result{"g" + std::to_string(i), s, "", 1, ""});
  }
}

std::size_t count_of(const std::string& text, char c) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), c));
}

}  // namespace

TEST_CASE("progress on a terminal: one line redrawn, throttled, ended by a newline",
          "[report][progress]") {
  progress_options o;
  o.is_tty = true;
  // 100 results over 1 s: at most one redraw per 100 ms, plus the first and the last.
  std::string out = capture(o, [](progress_line& l) { feed_results(l, 100, 100, 10); });
  CHECK(count_of(out, '\r') >= 10);
  CHECK(count_of(out, '\r') <= 12);
  CHECK(count_of(out, '\n') == 1);
  CHECK_THAT(out, Catch::EndsWith("\n"));
  std::string last = out.substr(out.rfind('\r') + 1);
  CHECK_THAT(last, Catch::StartsWith("100/100 100% [####################] zapped 75 survived 25"));
  CHECK_THAT(last, Catch::Contains("100.0 g/s"));
  CHECK_THAT(last, Catch::Contains("ETA 0s"));
  CHECK_THAT(out, Catch::Contains("\r1/100   1% [....................] zapped 1 survived 0  "));
  CHECK(out.find("\x1b[3") == std::string::npos);  // no colour
  CHECK(count_of(out, '\x1b') == count_of(out, '\r'));  // each draw erases the rest of the line
}

TEST_CASE("progress on a terminal: rate and time left", "[report][progress]") {
  progress_options o;
  o.is_tty = true;
  // 10 of 40 done in 5 s: 2 g/s, 30 left → 15 s.
  std::string out = capture(o, [](progress_line& l) { feed_results(l, 10, 40, 500); });
  std::string last = out.substr(out.rfind('\r') + 1);
  CHECK_THAT(last, Catch::StartsWith("10/40  25% [#####...............]"));
  CHECK_THAT(last, Catch::Contains("2.0 g/s  ETA 15s"));
}

TEST_CASE("progress: finish draws the state not drawn yet, what a longer line left is erased",
          "[report][progress]") {
  progress_options o;
  o.is_tty = true;
  std::string out = capture(o, [](progress_line& l) {
    feed_results(l, 3, 10, 1);  // throttled: only the first result is drawn at once
    l.finish();
    l.finish();
  });
  CHECK(count_of(out, '\r') == 2);
  CHECK(count_of(out, '\n') == 1);
  CHECK_THAT(out, Catch::Contains("\r3/10  30%"));
  // Going from "ETA 15:00" to a shorter text must blank the rest of the old line: every draw
  // ends with ESC [ K (erase to the end of the line).
  std::string shorter = capture(o, [](progress_line& l) {
    progress p;
    p.total = 10;
    p.completed = 1;
    p.elapsed_ms = 100000;  // 9 left at 0.01 g/s: "ETA 15:00"
    l.update(p, {});
    p.completed = 2;
    p.elapsed_ms = 100200;  // 8 left at 0.02 g/s: "ETA 6:41", one character shorter
    l.update(p, {});
  });
  auto first = shorter.substr(1, shorter.find('\r', 1) - 1);
  auto second = shorter.substr(shorter.rfind('\r') + 1);
  CHECK_THAT(first, Catch::EndsWith("ETA 15:00\x1b[K"));
  CHECK(second == "2/10  20% [####................] zapped 0 survived 0  0.0 g/s  ETA 6:41\x1b[K\n");
}

TEST_CASE("progress in a log: plain lines every 10 % or every 5 s", "[report][progress]") {
  progress_options o;
  o.is_tty = false;
  std::string out = capture(o, [](progress_line& l) { feed_results(l, 100, 100, 1); });
  CHECK(out.find('\r') == std::string::npos);
  CHECK(count_of(out, '\n') == 10);
  CHECK_THAT(out, Catch::StartsWith("gremlin-actors: 10/100 (10%) zapped 8, survived 2"));
  CHECK_THAT(out, Catch::EndsWith("gremlin-actors: 100/100 (100%) zapped 75, survived 25, "
                                  "1000.0 gremlins/s, 0s left\n"));
  // A slow run of 1000 gremlins: 12 results, 1 s apart, never reach 10 %: the 5 s rule prints.
  std::string slow = capture(o, [](progress_line& l) { feed_results(l, 12, 1000, 1000); });
  CHECK(count_of(slow, '\n') == 3);  // at 5 s, 10 s, and the state at finish (12 s)
  CHECK_THAT(slow, Catch::StartsWith("gremlin-actors: 5/1000 (0%)"));
  CHECK_THAT(slow, Catch::Contains("gremlin-actors: 12/1000 (1%)"));
}

TEST_CASE("progress: quiet writes nothing, colour only when enabled", "[report][progress]") {
  progress_options o;
  o.quiet = true;
  o.is_tty = true;
  CHECK(capture(o, [](progress_line& l) { feed_results(l, 50, 50, 10); }).empty());
  o.quiet = false;
  o.color = true;
  std::string colored = capture(o, [](progress_line& l) { feed_results(l, 5, 5, 10); });
  CHECK_THAT(colored, Catch::Contains("\x1b[32mzapped 4\x1b[0m"));
  CHECK_THAT(colored, Catch::Contains("\x1b[31msurvived 1\x1b[0m"));

  ::unsetenv("NO_COLOR");
  CHECK(color_enabled(false, true));
  CHECK_FALSE(color_enabled(true, true));
  CHECK_FALSE(color_enabled(false, false));
  ::setenv("NO_COLOR", "1", 1);
  CHECK_FALSE(color_enabled(false, true));
  ::setenv("NO_COLOR", "", 1);  // no-color.org: only a non-empty value counts
  CHECK(color_enabled(false, true));
  ::unsetenv("NO_COLOR");
}

TEST_CASE("progress: durations for humans", "[report][progress]") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(59.4) == "59s");
  CHECK(format_duration(125) == "2:05");
  CHECK(format_duration(3725) == "1:02:05");
}

TEST_CASE("progress under a real pseudo-terminal draws the terminal line", "[report][progress]") {
  int master = -1;
  std::fflush(stdout);  // nothing of the parent's buffer may reach the child's terminal
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: stdout is the pty's slave side. Report what stdout_is_tty says, then draw.
    progress_options o;
    o.is_tty = stdout_is_tty();
    std::printf("is_tty=%d\n", o.is_tty ? 1 : 0);
    {
      progress_line line(stdout, o);
      feed_results(line, 20, 20, 10);
    }
    std::fflush(stdout);
    ::_exit(0);
  }
  std::string out = drain(master);  // ends with EIO once the child has gone
  ::close(master);
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st));
  CHECK_THAT(out, Catch::StartsWith("is_tty=1\r\n"));  // the terminal turned \n into \r\n
  CHECK_THAT(out, Catch::Contains("\r1/20   5%"));
  CHECK_THAT(out, Catch::Contains("\r20/20 100% [####################] zapped 15 survived 5"));

  // And a pipe is not a terminal.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::fflush(stdout);
  pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::_exit(stdout_is_tty() ? 1 : 0);
  }
  ::close(fds[1]);
  ::close(fds[0]);
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  CHECK(WEXITSTATUS(st) == 0);
}

namespace {

/// After `tested` results, the run is stopped: the rest of `total` arrive as the scheduler's
/// cancellations (run_report.hpp, cancelled_prefix), as a stopped run records them.
void feed_stopped_run(progress_line& line, bool& stopping, std::uint32_t tested, std::uint32_t total) {
  feed_results(line, tested, total, 10);
  stopping = true;
  progress p;
  p.total = total;
  p.counts[static_cast<std::size_t>(status::zapped)] = tested;
  p.completed = tested;
  for (std::uint32_t i = tested + 1; i <= total; ++i) {
    p.completed = i;
    ++p.counts[static_cast<std::size_t>(status::error)];
    p.elapsed_ms = tested * 10 + i;
    line.update(p, worker_result{"c" + std::to_string(i), status::error, "", 0,
                                 "cancelled: the run was stopped before this gremlin started"});
  }
}

}  // namespace

TEST_CASE("progress: a stopped run is shown as interrupted: tested of all, no rate, never 100 %",
          "[report][progress]") {
  bool stopping = false;
  progress_options o;
  o.stopping = [&stopping] { return stopping; };
  SECTION("in a log") {
    o.is_tty = false;
    std::string out = capture(o, [&](progress_line& l) { feed_stopped_run(l, stopping, 3, 10); });
    INFO(out);
    CHECK_THAT(out, Catch::StartsWith("gremlin-actors: 1/10 (10%)"));
    CHECK_THAT(out, Catch::EndsWith("gremlin-actors: 3/10 (30%) zapped 3, survived 0, 100.0 gremlins/s, 0s left\n"
                                    "gremlin-actors: interrupted: 3 of 10 gremlins tested (30%), zapped 3, "
                                    "survived 0\n"));
    CHECK_THAT(out, !Catch::Contains("100%"));
    CHECK_THAT(out, !Catch::Contains("10/10"));
  }
  SECTION("on a terminal") {
    o.is_tty = true;
    o.tty_interval_ms = 0;
    std::string out = capture(o, [&](progress_line& l) { feed_stopped_run(l, stopping, 3, 10); });
    INFO(out);
    auto last = out.substr(out.rfind('\r') + 1);
    CHECK_THAT(last, Catch::StartsWith("interrupted: 3/10 tested  30% [######..............] zapped 3 survived 0"));
    CHECK_THAT(last, !Catch::Contains("g/s"));
    CHECK_THAT(last, !Catch::Contains("ETA"));
    CHECK_THAT(out, !Catch::Contains("100%"));
  }
  SECTION("stopped between results: the last line still says so") {
    o.is_tty = false;
    std::string out = capture(o, [&](progress_line& l) {
      feed_results(l, 3, 10, 10);
      stopping = true;
    });
    CHECK_THAT(out, Catch::EndsWith("gremlin-actors: interrupted: 3 of 10 gremlins tested (30%), zapped 3, "
                                    "survived 0\n"));
  }
  SECTION("an error whose output starts with \"cancelled:\" before any stop is a tested error") {
    o.is_tty = false;
    std::string out = capture(o, [&](progress_line& l) {
      progress p;
      p.total = 2;
      p.completed = 1;
      p.counts[static_cast<std::size_t>(status::error)] = 1;
      l.update(p, worker_result{"a", status::error, "", 1, "cancelled: said the test itself"});
      p.completed = 2;
      p.counts[static_cast<std::size_t>(status::zapped)] = 1;
      l.update(p, worker_result{"b", status::zapped, "", 1, ""});
    });
    CHECK_THAT(out, Catch::Contains("gremlin-actors: 2/2 (100%) zapped 1, survived 0,"));
    CHECK_THAT(out, !Catch::Contains("interrupted"));
  }
}

TEST_CASE("progress: a write that fails (the reader has gone) ends the drawing quietly", "[report][progress]") {
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);  // as gremlin-actors has it (cli/stop_watch.hpp)
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::close(fds[0]);  // `| head -1` is over
  std::FILE* w = ::fdopen(fds[1], "w");
  REQUIRE(w != nullptr);
  {
    progress_options o;
    o.is_tty = false;
    progress_line line(w, o);
    CHECK_FALSE(line.output_lost());
    feed_results(line, 100, 100, 1);
    CHECK(line.output_lost());
    line.finish();
  }
  std::fclose(w);
  ::sigaction(SIGPIPE, &old, nullptr);
}

namespace {

/// A small terminal: `columns` wide, auto-wrap at the right margin (as xterm and the Linux
/// console do), CR, LF, ESC [ K (erase to the end of the line) and colours (ignored). It
/// records whether anything wrapped.
struct screen {
  std::size_t columns;
  std::vector<std::string> rows{std::string()};
  std::size_t row = 0, col = 0;
  bool wrapped = false;
  explicit screen(std::size_t c) : columns(c) {}
  void put(char ch) {
    if (col == columns) {  // the next character goes on a new line
      wrapped = true;
      new_line();
      col = 0;
    }
    std::string& r = rows[row];
    if (r.size() < col + 1) r.resize(col + 1, ' ');
    r[col++] = ch;
  }
  void new_line() {
    ++row;
    if (rows.size() <= row) rows.emplace_back();
  }
  void feed(const std::string& bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      char ch = bytes[i];
      if (ch == '\r') col = 0;
      else if (ch == '\n') new_line();
      else if (ch == '\x1b' && i + 1 < bytes.size() && bytes[i + 1] == '[') {
        std::size_t end = i + 2;
        while (end < bytes.size() && !(bytes[end] >= 0x40 && bytes[end] <= 0x7e)) ++end;
        if (end < bytes.size() && bytes[end] == 'K' && rows[row].size() > col) rows[row].resize(col);
        i = end;
      } else put(ch);
    }
  }
};

/// The lines a terminal-mode progress_line drew (the text between each '\r' and the next one,
/// without ESC [ K and the final newline), as seen on screen without colour codes.
std::vector<std::string> drawn_lines(const std::string& out) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while ((pos = out.find('\r', pos)) != std::string::npos) {
    std::size_t end = out.find_first_of("\r\n", pos + 1);
    std::string line = out.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
    std::string visible;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\x1b') {
        while (i < line.size() && !(line[i] >= 0x40 && line[i] <= 0x7e && line[i] != '[')) ++i;
        continue;
      }
      visible += line[i];
    }
    lines.push_back(visible);
    pos = pos + 1;
  }
  return lines;
}

/// One state: 45 of 117 done in 3.66 s (12.3 g/s, 6 s left), 40 zapped, 5 survived.
std::string draw_once(std::size_t columns, bool color = false) {
  progress_options o;
  o.is_tty = true;
  o.columns = columns;
  o.color = color;
  return capture(o, [](progress_line& l) {
    progress p;
    p.total = 117;
    p.completed = 45;
    p.counts[static_cast<std::size_t>(status::zapped)] = 40;
    p.counts[static_cast<std::size_t>(status::survived)] = 5;
    p.elapsed_ms = 3660;
    l.update(p, {});
  });
}

}  // namespace

TEST_CASE("progress on a narrow terminal: pieces are dropped, the line never reaches the last column",
          "[report][progress]") {
  auto line_at = [](std::size_t columns) {
    auto lines = drawn_lines(draw_once(columns));
    REQUIRE(lines.size() == 1);
    return lines[0];
  };
  CHECK(line_at(120) == "45/117  38% [#######.............] zapped 40 survived 5  12.3 g/s  ETA 6s");
  CHECK(line_at(74) == "45/117  38% [#######.............] zapped 40 survived 5  12.3 g/s  ETA 6s");
  CHECK(line_at(73) == "45/117  38% [#######............] zapped 40 survived 5  12.3 g/s  ETA 6s");
  CHECK(line_at(64) == "45/117  38% [###.......] zapped 40 survived 5  12.3 g/s  ETA 6s");  // bar of 10
  CHECK(line_at(63) == "45/117  38% [#######............] zapped 40 survived 5  ETA 6s");  // no rate
  CHECK(line_at(54) == "45/117  38% [###.......] zapped 40 survived 5  ETA 6s");
  CHECK(line_at(53) == "45/117  38% zapped 40 survived 5  ETA 6s");  // no bar
  CHECK(line_at(40) == "45/117  38% zapped 40 survived 5");           // no time left
  CHECK(line_at(20) == "45/117  38% zapped ");                        // cut
  CHECK(line_at(1) == "4");
  for (std::size_t columns = 2; columns <= 120; ++columns) {
    INFO("columns " << columns);
    CHECK(line_at(columns).size() <= columns - 1);
  }
  // Colour codes take no room: the same pieces fit, and a cut colour is reset.
  std::string colored = draw_once(53, true);
  CHECK_THAT(colored, Catch::Contains("38% \x1b[32mzapped 40\x1b[0m \x1b[31msurvived 5\x1b[0m  ETA 6s\x1b[K"));
  CHECK(cut_to_width("ab\x1b[32mcdef\x1b[0m", 3) == "ab\x1b[32mc\x1b[0m");
  CHECK(cut_to_width("ab\x1b[32mcd\x1b[0m", 9) == "ab\x1b[32mcd\x1b[0m");
  CHECK(cut_to_width("h\xC3\xA9llo", 2) == "h\xC3\xA9");  // characters, not bytes
}

TEST_CASE("progress: the width comes from the terminal, else COLUMNS, else 80", "[report][progress]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const char* old = std::getenv("COLUMNS");
  std::string saved = old ? old : "";
  ::setenv("COLUMNS", "33", 1);
  CHECK(terminal_columns(fds[1]) == 33);  // a pipe has no size
  ::setenv("COLUMNS", "wide", 1);
  CHECK(terminal_columns(fds[1]) == 80);
  ::setenv("COLUMNS", "0", 1);
  CHECK(terminal_columns(fds[1]) == 80);
  ::unsetenv("COLUMNS");
  CHECK(terminal_columns(fds[1]) == 80);
  CHECK(terminal_columns(-1) == 80);
  // A progress line asking for its width (columns 0) follows COLUMNS when its output says none.
  ::setenv("COLUMNS", "41", 1);
  progress_options o;
  o.is_tty = true;
  std::FILE* w = ::fdopen(fds[1], "w");
  {
    progress_line line(w, o);
    feed_results(line, 4, 4, 10);
  }
  std::fclose(w);
  std::string out = drain(fds[0]);
  ::close(fds[0]);
  if (old) ::setenv("COLUMNS", saved.c_str(), 1);
  else ::unsetenv("COLUMNS");
  for (const auto& l : drawn_lines(out)) CHECK(l.size() <= 40);
  CHECK(drawn_lines(out).back() == "4/4 100% zapped 3 survived 1  ETA 0s");
}

TEST_CASE("progress under a real 40-column pseudo-terminal: nothing wraps, no debris is left",
          "[report][progress]") {
  int master = -1;
  struct winsize ws {};
  ws.ws_col = 40;
  ws.ws_row = 24;
  std::fflush(stdout);
  pid_t pid = ::forkpty(&master, nullptr, nullptr, &ws);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The terminal's own size wins over a COLUMNS that says otherwise.
    ::setenv("COLUMNS", "200", 1);
    progress_options o;
    o.is_tty = stdout_is_tty();
    o.tty_interval_ms = 0;  // every state drawn
    o.color = true;
    {
      progress_line line(stdout, o);
      // Long lines first (1000 gremlins, slow: "ETA 2:46:40"-like), then shorter ones.
      progress p;
      p.total = 1000;
      for (std::uint32_t i = 1; i <= 1000; i += (i < 10 ? 1 : 97)) {
        p.completed = i;
        p.counts[static_cast<std::size_t>(status::zapped)] = i - i / 4;
        p.counts[static_cast<std::size_t>(status::survived)] = i / 4;
        p.elapsed_ms = i < 10 ? 10000.0 * i : 90000 + i;
        line.update(p, {});
      }
      p.completed = 1000;
      p.counts[static_cast<std::size_t>(status::zapped)] = 999;
      p.counts[static_cast<std::size_t>(status::survived)] = 1;
      p.elapsed_ms = 100000;
      line.update(p, {});
    }
    std::fflush(stdout);
    ::_exit(0);
  }
  std::string out = drain(master);
  ::close(master);
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st));
  INFO(out);
  REQUIRE(count_of(out, '\r') > 10);
  screen term(40);
  term.feed(out);
  CHECK_FALSE(term.wrapped);
  CHECK(term.row == 1);  // the progress row, then the finishing newline
  // What is on screen is the last state and nothing of the longer lines before it.
  CHECK(term.rows[0] == "1000/1000 100% zapped 999 survived 1");
  for (const auto& l : drawn_lines(out)) CHECK(l.size() <= 39);
}
