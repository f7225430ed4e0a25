// The base distribution N(0, s^2 I): its log-density, its draws, and the maximum-likelihood loss
// built on it. The log-density and the draws are shared by host code and CUDA kernels.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/hd.hpp"
#include "core/philox.hpp"

namespace cucnf::detail {

/// log N(z; 0, variance I) for one point of dimension dim; z is anything indexable by 0..dim-1
/// giving numbers (a pointer, or BaseDraw below).
/// log(2 pi) + log(s^2), not log(2 pi s^2), and |z|^2 / s^2 scaled when |z|^2 overflows: finite
/// for every finite variance (1e308 included).
template <class Z>
CUCNF_HD inline double base_log_density(const Z& z, int dim, double variance) {
  double sq = 0.0;
  for (int j = 0; j < dim; ++j) sq += double(z[j]) * double(z[j]);
  double quadratic = sq / variance;
#if defined(__CUDA_ARCH__)
  const bool finite = isfinite(sq);
#else
  const bool finite = std::isfinite(sq);
#endif
  if (!finite) {
    const double s = std::sqrt(variance);
    quadratic = 0.0;
    for (int j = 0; j < dim; ++j) quadratic += (double(z[j]) / s) * (double(z[j]) / s);
  }
  return -0.5 * quadratic - 0.5 * dim * (std::log(2.0 * M_PI) + std::log(variance));
}

/// Base draw `index` of Flow::sample for `seed`: dim values sigma * n_j, the standard normals
/// n_j taken two per Philox draw (Box-Muller; stream 0, draw index * ceil(dim/2) + j/2). Value j
/// is computed on demand, so a kernel needs no per-sample array.
struct BaseDraw {
  std::uint64_t seed;
  std::uint64_t index;
  int dim;
  double sigma;

  CUCNF_HD double operator[](int j) const {
    const std::uint64_t pairs = (std::uint64_t(dim) + 1) / 2;
    double a, b;
    normal2(seed, 0, index * pairs + std::uint64_t(j / 2), a, b);
    return sigma * (j % 2 == 0 ? a : b);
  }
};

/// L = -(1/n) sum_i [log N(z0_i) - l0_i], from the end state of a density solve.
inline double nll_loss(const double* z0, const double* l0, std::size_t n, int dim,
                       double variance) {
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += base_log_density(z0 + i * dim, dim, variance) - l0[i];
  return -sum / double(n);
}

}  // namespace cucnf::detail
