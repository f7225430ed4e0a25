#include "compare.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

::testing::AssertionResult all_close(const std::vector<double>& actual,
                                     const std::vector<double>& expected, double rtol,
                                     double atol) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected size " << expected.size();
  std::size_t bad = 0, worst = 0;
  double worst_excess = -1.0;
  std::ostringstream first;
  first.precision(12);
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double err = std::fabs(actual[i] - expected[i]);
    const double allowed = atol + rtol * std::fabs(expected[i]);
    const double excess = std::isnan(err) ? 1e300 : err / (allowed > 0 ? allowed : 1e-300);
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = i;
    }
    if (!(err <= allowed)) {
      if (bad < 5)
        first << "\n  [" << i << "] actual " << actual[i] << " expected " << expected[i]
              << " |err| " << err;
      ++bad;
    }
  }
  std::ostringstream worst_line;
  worst_line.precision(6);
  if (!actual.empty())
    worst_line << "worst at [" << worst << "]: |err| " << std::fabs(actual[worst] - expected[worst])
               << " (" << worst_excess << " x allowed, rtol " << rtol << ", atol " << atol << ")";
  if (bad == 0) return ::testing::AssertionSuccess() << worst_line.str();
  return ::testing::AssertionFailure() << bad << " of " << actual.size() << " elements differ; "
                                       << worst_line.str() << "; first mismatches:" << first.str();
}

double relative_error(const std::vector<double>& actual, const std::vector<double>& expected) {
  double num = 0.0, den = 0.0;
  for (std::size_t i = 0; i < actual.size() && i < expected.size(); ++i) {
    if (!std::isfinite(actual[i])) return INFINITY;
    num = std::max(num, std::fabs(actual[i] - expected[i]));
    den = std::max(den, std::fabs(expected[i]));
  }
  if (actual.size() != expected.size()) return INFINITY;
  return den > 0 ? num / den : num;
}

std::vector<double> random_values(std::size_t count, double lo, double hi, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(count);
  for (double& x : v) x = dist(gen);
  return v;
}
