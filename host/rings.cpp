#include "cucnf/rings.hpp"

#include "core/checked_size.hpp"
#include "core/rings_data.hpp"

namespace cucnf {

std::vector<double> rings(std::size_t n, std::uint64_t seed, std::uint64_t stream) {
  std::vector<double> points =
      detail::with_memory_check(n, 2, "rings points", [n] { return std::vector<double>(2 * n); });
  for (std::size_t i = 0; i < n; ++i)
    detail::rings_point(seed, stream, n, i, points[2 * i], points[2 * i + 1]);
  return points;
}

}  // namespace cucnf
