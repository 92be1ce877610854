#pragma once
// Live progress on the console, fed by the result aggregator's progress events.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>

#include "messages/progress.hpp"
#include "messages/worker_result.hpp"

namespace gremlins {

/// How progress is shown.
struct progress_options {
  bool quiet = false;               ///< show nothing
  bool color = false;               ///< ANSI colours (see color_enabled)
  bool is_tty = false;              ///< one line redrawn in place; otherwise plain periodic lines
  double tty_interval_ms = 100;     ///< at most 10 redraws a second
  /// Terminal width for the redrawn line; 0 (default): asked of the output at every draw
  /// (terminal_columns), so a resized window is followed.
  std::size_t columns = 0;
  double plain_interval_ms = 5000;  ///< a plain line at least every 5 s of progress...
  unsigned plain_step_percent = 10; ///< ...or whenever another 10 % is done
  /// True once the run is being stopped (a signal): from then on the cancelled results
  /// (run_report.hpp, is_cancelled) count as not tested, and the line says "interrupted",
  /// with no rate and no time left. Empty: never.
  std::function<bool()> stopping;
};

/// Progress display: a single updating line on a terminal, periodic lines in a CI log.
/// Thread-safe; the time base is the aggregator's `elapsed_ms` (a clock of its own when 0).
/// A write that fails (the reader of a pipe has gone, a terminal hung up) ends the drawing:
/// nothing more is written, and the run is not disturbed.
class progress_line {
 public:
  /// What the terminal line shows; pieces are dropped when the terminal is too narrow.
  struct layout {
    std::size_t bar = 20;  ///< inner width of the bar; 0: no bar
    bool rate = true;      ///< "12.3 g/s"
    bool eta = true;       ///< "ETA 6s"
  };

  /// Writes to `out` (not owned).
  progress_line(std::FILE* out, progress_options options);
  /// Calls finish().
  ~progress_line();
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  /// One result arrived; `p` is the aggregator's snapshot after it. Draws when it is time to.
  void update(const progress& p, const worker_result& last);
  /// Draws the last state if it was not drawn yet and ends the line. Idempotent.
  void finish();

  /// True when a write to `out` failed: nothing is drawn any more.
  bool output_lost();

 private:
  std::string tty_text(const progress& p, double now_ms, bool color, layout l) const;
  std::string plain_text(const progress& p, double now_ms) const;
  std::string stopped_tty_text(const progress& p, bool color, layout l) const;
  /// The richest terminal line that fits in `room` columns (cut to it as a last resort).
  std::string fitted_tty_text(const progress& p, double now_ms, std::size_t room) const;
  std::string stopped_plain_text(const progress& p) const;
  bool is_stopping() const;
  double now_ms(const progress& p) const;
  void draw(const progress& p, double now);

  std::FILE* out_;
  progress_options options_;
  std::mutex mutex_;
  progress last_;
  double last_now_ = 0;
  bool seen_ = false;
  bool pending_ = false;        ///< last_ has not been drawn
  bool finished_ = false;
  double last_draw_ms_ = -1e18;
  unsigned last_bucket_ = 0;    ///< plain mode: the last 10 % step printed
  double started_ms_ = 0;       ///< own clock, for snapshots without elapsed_ms
  bool stopped_ = false;        ///< the run is being stopped: the line says interrupted
  bool drawn_stopped_ = false;  ///< the interrupted state was drawn
  std::uint32_t not_tested_ = 0;  ///< cancelled results seen since the stop
  bool lost_ = false;           ///< a write failed
};

/// The width of the terminal `fd` is (ioctl TIOCGWINSZ); when `fd` is no terminal or does not
/// say, $COLUMNS (a positive number); else 80.
std::size_t terminal_columns(int fd);

/// `text` cut to at most `room` characters on screen; escape sequences (colours, ESC [ ... m)
/// take no room and are kept; a colour left open by the cut is reset.
std::string cut_to_width(const std::string& text, std::size_t room);

/// True when stdout is a terminal.
bool stdout_is_tty();

/// Colour is on for a terminal unless --no-color was given or NO_COLOR is set (non-empty).
bool color_enabled(bool no_color_flag, bool is_tty);

/// "6s", "2:05", "1:02:05": a duration for humans.
std::string format_duration(double seconds);

}  // namespace gremlins
