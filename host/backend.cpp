#include "backend.hpp"

namespace cucnf::detail {

std::unique_ptr<Backend> make_backend(Device resolved, const ModelShape& shape,
                                      const std::vector<double>& params, Precision precision) {
  return resolved == Device::cuda ? make_cuda_backend(shape, params, precision)
                                  : make_cpu_backend(shape, params);
}

}  // namespace cucnf::detail
