// The rings data of design §2, point by point from a counter-based generator, identical on
// the host and the device.
//
// A batch of n points is two sklearn make_circles sets: the first n/2 points with noise 0.06
// (radii 1 and 0.5), the other n - n/2 with noise 0.03 then scaled by 4 (radii 4 and 2, noise
// 0.12). make_circles(m) puts m/2 points on the outer circle at angles linspace(0, 2pi, m/2,
// endpoint=False) and m - m/2 on the inner one likewise, then adds N(0, noise^2) per coordinate.
#pragma once

#include <cstdint>

#include "core/hd.hpp"
#include "core/philox.hpp"

namespace cucnf::detail {

CUCNF_HD inline void rings_point(std::uint64_t seed, std::uint64_t stream, std::uint64_t n,
                                 std::uint64_t i, double& x, double& y) {
  const std::uint64_t n_a = n / 2;
  const bool set_b = i >= n_a;
  const std::uint64_t m = set_b ? n - n_a : n_a;  // size of this make_circles set
  const std::uint64_t j = set_b ? i - n_a : i;    // index inside it
  const std::uint64_t outer = m / 2, inner = m - outer;
  const bool on_outer = j < outer;
  const std::uint64_t count = on_outer ? outer : inner;
  const std::uint64_t k = on_outer ? j : j - outer;
  const double angle = 6.283185307179586476925286766559 * double(k) / double(count);
  const double radius = (on_outer ? 1.0 : 0.5) * (set_b ? 4.0 : 1.0);
  const double noise = set_b ? 0.12 : 0.06;
  double e0, e1;
  normal2(seed, stream, i, e0, e1);
  x = radius * std::cos(angle) + noise * e0;
  y = radius * std::sin(angle) + noise * e1;
}

}  // namespace cucnf::detail
