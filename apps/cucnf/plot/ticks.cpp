// nice_ticks(): the usual 1-2-5 tick ladder.
#include "ticks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cucnf::cli::plot {
namespace {

std::string format_tick(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, std::fabs(value));
  // U+2212 MINUS SIGN: a hyphen looks too short next to digits.
  return value < 0.0 ? "\u2212" + std::string(text) : std::string(text);
}

}  // namespace

Ticks nice_ticks(double lo, double hi, int max_count) {
  Ticks ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return ticks;
  max_count = std::max(max_count, 2);
  // Start one decade below the span / max_count guess and walk up the 1-2-5 ladder until the
  // ticks fit; the first step that fits is the finest readable one.
  double decade = std::pow(10.0, std::floor(std::log10((hi - lo) / max_count)) - 1.0);
  double step = decade;
  for (int attempt = 0; attempt < 12; ++attempt) {
    const double factor = attempt % 3 == 0 ? 1.0 : attempt % 3 == 1 ? 2.0 : 5.0;
    step = factor * decade;
    const double count = std::floor(hi / step + 1e-9) - std::ceil(lo / step - 1e-9) + 1.0;
    if (count <= max_count) break;
    if (attempt % 3 == 2) decade *= 10.0;
  }
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  const double first = std::ceil(lo / step - 1e-9);
  const double last = std::floor(hi / step + 1e-9);
  for (double k = first; k <= last; k += 1.0) {
    double value = k * step;
    if (std::fabs(value) < step * 1e-6) value = 0.0;  // no "-0.0"
    ticks.values.push_back(value);
    ticks.labels.push_back(format_tick(value, decimals));
  }
  return ticks;
}

}  // namespace cucnf::cli::plot
