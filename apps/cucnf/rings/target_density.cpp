#include "target_density.hpp"

#include <cmath>

namespace cucnf::cli {
namespace {

// exp(-x) I0(x) for x >= 0: the library's Bessel function where it cannot overflow, the
// asymptotic series beyond.
double scaled_bessel_i0(double x) {
  if (x < 500.0) return std::exp(-x) * std::cyl_bessel_i(0.0, x);
  const double inv = 1.0 / x;
  return (1.0 + inv / 8.0 + 9.0 * inv * inv / 128.0) / std::sqrt(2.0 * M_PI * x);
}

double ring_density(double r, double radius, double noise) {
  const double var = noise * noise;
  // exp(-(r^2 + R^2)/(2 var)) I0(rR/var) = exp(-(r - R)^2/(2 var)) [exp(-rR/var) I0(rR/var)]
  return std::exp(-(r - radius) * (r - radius) / (2 * var)) * scaled_bessel_i0(r * radius / var) /
         (2 * M_PI * var);
}

}  // namespace

double rings_density(double x, double y) {
  const double r = std::hypot(x, y);
  return 0.25 * (ring_density(r, 1.0, 0.06) + ring_density(r, 0.5, 0.06) +
                 ring_density(r, 4.0, 0.12) + ring_density(r, 2.0, 0.12));
}

}  // namespace cucnf::cli
