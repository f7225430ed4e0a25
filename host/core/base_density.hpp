// The base distribution N(0, s^2 I) and the maximum-likelihood loss built on it.
#pragma once

#include <cmath>
#include <cstddef>

namespace cucnf::detail {

/// log N(z; 0, variance I) for one point of dimension dim.
inline double base_log_density(const double* z, int dim, double variance) {
  double sq = 0.0;
  for (int j = 0; j < dim; ++j) sq += z[j] * z[j];
  return -0.5 * sq / variance - 0.5 * dim * std::log(2.0 * M_PI * variance);
}

/// L = -(1/n) sum_i [log N(z0_i) - l0_i], from the end state of a density solve.
inline double nll_loss(const double* z0, const double* l0, std::size_t n, int dim,
                       double variance) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += base_log_density(z0 + i * dim, dim, variance) - l0[i];
  return -sum / double(n);
}

}  // namespace cucnf::detail
