// viridis(): linear interpolation between anchor colours of matplotlib's viridis.
#include "colormap.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace cucnf::cli::plot {
namespace {

// viridis sampled at t = 0, 1/8, ..., 1 (the same nine colours as R's viridisLite::viridis(9)).
// Their luminance increases strictly, and so does that of the interpolated ramp.
constexpr std::array<std::uint32_t, 9> kAnchors = {
    0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21908c, 0x27ad81, 0x5dc863, 0xaadc32, 0xfde725,
};

Rgb unpack(std::uint32_t rgb) {
  return {((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0};
}

std::uint32_t channel_byte(double value) {
  return static_cast<std::uint32_t>(std::lround(std::clamp(value, 0.0, 1.0) * 255.0));
}

}  // namespace

Rgb viridis(double t) {
  if (!(t > 0.0)) t = 0.0;  // also catches NaN
  if (t > 1.0) t = 1.0;
  const double position = t * (kAnchors.size() - 1);
  const std::size_t lower = std::min(static_cast<std::size_t>(position), kAnchors.size() - 2);
  const double weight = position - static_cast<double>(lower);
  const Rgb a = unpack(kAnchors[lower]);
  const Rgb b = unpack(kAnchors[lower + 1]);
  return {a.r + weight * (b.r - a.r), a.g + weight * (b.g - a.g), a.b + weight * (b.b - a.b)};
}

const std::array<std::uint32_t, 256>& viridis_pixels() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> pixels{};
    for (std::size_t i = 0; i < pixels.size(); ++i) {
      const Rgb c = viridis(static_cast<double>(i) / 255.0);
      pixels[i] =
          0xff000000u | channel_byte(c.r) << 16 | channel_byte(c.g) << 8 | channel_byte(c.b);
    }
    return pixels;
  }();
  return table;
}

}  // namespace cucnf::cli::plot
