// Axis tick positions at round numbers (1, 2 or 5 times a power of ten) and their labels.
#pragma once

#include <string>
#include <vector>

namespace cucnf::cli::plot {

/// Ticks for one axis: positions in data units and their labels, e.g. {-4, -2, 0, 2, 4}.
struct Ticks {
  std::vector<double> values;
  std::vector<std::string> labels;
};

/// At most max_count ticks inside [lo, hi] (lo < hi) at multiples of the smallest step 1, 2 or 5
/// x 10^k that keeps the count within max_count. Labels carry as many decimals as the step needs
/// and a typographic minus sign ("−2"), as matplotlib prints them.
Ticks nice_ticks(double lo, double hi, int max_count);

}  // namespace cucnf::cli::plot
