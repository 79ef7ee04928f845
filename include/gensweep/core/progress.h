#pragma once
// Progress lines for long work: "extract cifar/pixels  1234/8460 images  412.3 img/s  ETA 0:17".
// On a terminal the line is redrawn in place; when stdout is not a TTY (a log file, Slurm) one line
// is printed per interval, so logs stay readable.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace gensweep {

class ProgressReporter {
 public:
  // total: units of work expected (images); interval: seconds between non-TTY lines.
  ProgressReporter(std::string label, std::int64_t total, std::string unit = "images",
                   double interval_seconds = 5.0, std::FILE* out = stdout);
  // Adds completed work; prints when the interval has passed.
  void advance(std::int64_t done);
  // Prints the final line (always).
  void finish();
  // Disable output (non-zero MPI ranks, --quiet).
  void set_enabled(bool enabled) { enabled_ = enabled; }
  std::int64_t done() const { return done_; }

  static std::string format_duration(double seconds);

 private:
  void print(bool final_line);
  std::string label_;
  std::string unit_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  double interval_;
  std::FILE* out_;
  bool tty_;
  bool enabled_ = true;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace gensweep
