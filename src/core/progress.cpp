#include "gensweep/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace gensweep {

ProgressReporter::ProgressReporter(std::string label, std::int64_t total, std::string unit,
                                   double interval_seconds, std::FILE* out)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      interval_(interval_seconds),
      out_(out),
      tty_(isatty(fileno(out)) == 1),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

std::string ProgressReporter::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

void ProgressReporter::advance(std::int64_t done) {
  done_ += done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_print_).count();
  // A TTY redraws often; a log gets one line per interval.
  if (since >= (tty_ ? 0.25 : interval_)) {
    last_print_ = now;
    print(false);
  }
}

void ProgressReporter::finish() {
  if (enabled_) print(true);
}

void ProgressReporter::print(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : NAN;
  std::string line = final_line ? fmt::format("{}  {}/{} {}  {:.1f} {}/s  took {}", label_, done_,
                                              total_, unit_, rate, unit_, format_duration(elapsed))
                                : fmt::format("{}  {}/{} {}  {:.1f} {}/s  ETA {}", label_, done_,
                                              total_, unit_, rate, unit_, format_duration(eta));
  if (tty_) {
    fmt::print(out_, "\r\033[K{}{}", line, final_line ? "\n" : "");
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

}  // namespace gensweep
