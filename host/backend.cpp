#include "backend.hpp"

#include <cmath>

#include "cucnf/error.hpp"

namespace cucnf::detail {

std::size_t count_points(const std::vector<double>& points, int dim, const std::string& what) {
  if (points.empty()) throw Error(ErrorKind::invalid_argument, what + " is empty");
  if (points.size() % dim != 0)
    throw Error(ErrorKind::invalid_argument,
                what + " has " + std::to_string(points.size()) +
                    " values, not a multiple of the model's dimension " + std::to_string(dim));
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!std::isfinite(points[i]))
      throw Error(ErrorKind::invalid_argument, what + ": value " + std::to_string(i % dim) +
                                                   " of row " + std::to_string(i / dim) +
                                                   " is not finite");
  return points.size() / dim;
}

std::unique_ptr<Backend> make_backend(Device resolved, const ModelShape& shape,
                                      const std::vector<double>& params, Precision precision) {
  return resolved == Device::cuda ? make_cuda_backend(shape, params, precision)
                                  : make_cpu_backend(shape, params, precision);
}

}  // namespace cucnf::detail
