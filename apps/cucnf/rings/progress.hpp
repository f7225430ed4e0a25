// Progress of a long training run: updated in place on a terminal, plain lines otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "cucnf/cucnf.hpp"

namespace cucnf::cli {

class Progress {
 public:
  /// total: the last iteration of the run; first: the iteration it starts after (resuming).
  /// line_every: in plain-line mode, print every this many iterations.
  Progress(std::int64_t first, std::int64_t total, int line_every, std::FILE* out = stderr);

  /// Reports an iteration with the running-average loss.
  void update(const IterationReport& report, double running_loss);
  /// Ends the in-place line (call before printing anything else).
  void finish();

 private:
  std::FILE* out_;
  bool terminal_;
  std::int64_t first_, total_;
  int line_every_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

/// "1:02:03" or "2:03" for a number of seconds.
std::string format_duration(double seconds);

}  // namespace cucnf::cli
