#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <string>

namespace cucnf::cli {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  }
  return buffer;
}

Progress::Progress(std::int64_t first, std::int64_t total, int line_every, std::FILE* out)
    : out_(out),
      terminal_(::isatty(::fileno(out)) != 0),
      first_(first),
      total_(total),
      line_every_(line_every > 0 ? line_every : 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::update(const IterationReport& r, double running_loss) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double done = double(r.iteration - first_);
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double left = rate > 0 ? double(total_ - r.iteration) / rate : NAN;
  const bool last = r.iteration >= total_;
  char line[256];
  std::snprintf(line, sizeof line,
                "iter %lld/%lld  loss %.4f  nfe fwd %lld bwd %lld  %.1f it/s  elapsed %s  left %s",
                static_cast<long long>(r.iteration), static_cast<long long>(total_), running_loss,
                static_cast<long long>(r.forward.nfe), static_cast<long long>(r.backward.nfe), rate,
                format_duration(elapsed).c_str(), format_duration(left).c_str());
  if (terminal_) {
    // Redraw at most ten times a second (and always the last one).
    if (!last && drawn_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    std::fprintf(out_, "\r%-100s", line);
    std::fflush(out_);
    drawn_ = true;
    last_draw_ = now;
  } else if (r.iteration % line_every_ == 0 || last || r.iteration == first_ + 1) {
    std::fprintf(out_, "%s\n", line);
    std::fflush(out_);
  }
}

void Progress::finish() {
  if (terminal_ && drawn_) std::fprintf(out_, "\n");
  drawn_ = false;
}

}  // namespace cucnf::cli
