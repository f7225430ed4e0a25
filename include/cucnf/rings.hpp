// The rings data set of the bundled demo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cucnf/export.hpp"

namespace cucnf {

/// Differential entropy of the rings distribution in nats (Monte Carlo over 4e6 points with the
/// exact ring density, design §2): no model's expected negative log-likelihood goes below it.
inline constexpr double kRingsEntropy = 2.521;

/// n points (n x 2 row-major) of the rings distribution: four rings of radius 0.5 and 1
/// (noise 0.06) and 2 and 4 (noise 0.12), a quarter of the points each, as the seed's two
/// make_circles sets. Reproducible: the same (seed, stream) gives the same points on any machine
/// and on the GPU (the trainer draws its batches there with stream = iteration).
CUCNF_API std::vector<double> rings(std::size_t n, std::uint64_t seed, std::uint64_t stream = 0);

}  // namespace cucnf
