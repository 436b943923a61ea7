#pragma once
/// Console output of a run, teed into the run's log.txt. On a terminal, progress() redraws one
/// status line in place; elsewhere (pipes, CI, log files) progress lines are printed plainly.

#include <fstream>
#include <string>

namespace attnlab {

class RunLog {
 public:
  /// `log_path` empty: console only. `prefix` is prepended to console lines (a sweep job's name).
  explicit RunLog(const std::string& log_path = "", std::string prefix = "");
  /// Writes nothing anywhere: the log of a data-parallel rank other than 0.
  static RunLog silent();

  /// A permanent line: console + log file.
  void line(const std::string& text);
  /// A status line: redrawn in place on a TTY, printed as a line otherwise; always appended to
  /// the log file (callers rate-limit).
  void progress(const std::string& text);
  /// Ends a pending in-place progress line.
  void end_progress();

  bool is_tty() const { return tty_; }

 private:
  std::ofstream file_;
  std::string prefix_;
  bool tty_ = false;
  bool progress_pending_ = false;
  bool console_ = true;
};

/// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace attnlab
