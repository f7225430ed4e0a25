// The base distribution N(0, s^2 I) and the maximum-likelihood loss built on it.
#pragma once

#include <cmath>
#include <cstddef>

namespace cucnf::detail {

/// log N(z; 0, variance I) for one point of dimension dim.
/// log(2 pi) + log(s^2), not log(2 pi s^2), and |z|^2 / s^2 scaled when |z|^2 overflows: finite
/// for every finite variance (1e308 included).
inline double base_log_density(const double* z, int dim, double variance) {
  double sq = 0.0;
  for (int j = 0; j < dim; ++j) sq += z[j] * z[j];
  double quadratic = sq / variance;
  if (!std::isfinite(sq)) {
    const double s = std::sqrt(variance);
    quadratic = 0.0;
    for (int j = 0; j < dim; ++j) quadratic += (z[j] / s) * (z[j] / s);
  }
  return -0.5 * quadratic - 0.5 * dim * (std::log(2.0 * M_PI) + std::log(variance));
}

/// L = -(1/n) sum_i [log N(z0_i) - l0_i], from the end state of a density solve.
inline double nll_loss(const double* z0, const double* l0, std::size_t n, int dim,
                       double variance) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += base_log_density(z0 + i * dim, dim, variance) - l0[i];
  return -sum / double(n);
}

}  // namespace cucnf::detail
