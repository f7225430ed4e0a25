// The colormap for density pictures: a perceptually uniform dark-purple-to-yellow ramp close to
// matplotlib's viridis.
#pragma once

#include <array>
#include <cstdint>

namespace cucnf::cli::plot {

/// An sRGB colour with components in [0, 1].
struct Rgb {
  double r = 0.0, g = 0.0, b = 0.0;
};

/// The viridis-like colour at t in [0, 1] (clamped; NaN gives the t = 0 colour), interpolated
/// linearly between nine anchor colours sampled evenly from viridis.
Rgb viridis(double t);

/// viridis() at 256 evenly spaced t, packed as opaque cairo ARGB32 pixels (0xffRRGGBB), for
/// colouring images without per-pixel interpolation.
const std::array<std::uint32_t, 256>& viridis_pixels();

}  // namespace cucnf::cli::plot
