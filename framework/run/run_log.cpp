#include "run/run_log.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "core/error.h"

namespace attnlab {

RunLog::RunLog(const std::string& log_path, std::string prefix)
    : prefix_(std::move(prefix)), tty_(isatty(STDOUT_FILENO) != 0) {
  if (!log_path.empty()) {
    file_.open(log_path, std::ios::app);
    if (!file_) throw UserError("cannot write log file " + log_path);
  }
}

RunLog RunLog::silent() {
  RunLog log;
  log.console_ = false;
  return log;
}

void RunLog::line(const std::string& text) {
  if (!console_) return;
  end_progress();
  std::cout << prefix_ << text << '\n' << std::flush;
  if (file_) file_ << text << '\n' << std::flush;
}

void RunLog::progress(const std::string& text) {
  if (!console_) return;
  if (tty_) {
    std::cout << "\r\033[K" << prefix_ << text << std::flush;
    progress_pending_ = true;
  } else {
    std::cout << prefix_ << text << '\n' << std::flush;
  }
  if (file_) file_ << text << '\n' << std::flush;
}

void RunLog::end_progress() {
  if (progress_pending_) {
    std::cout << '\n';
    progress_pending_ = false;
  }
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<int64_t>(std::llround(seconds));
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>(total % 3600 / 60));
  } else if (total >= 60) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(total));
  }
  return buffer;
}

}  // namespace attnlab
