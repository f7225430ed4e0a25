// The launch shape of the per-sample kernels (see launch_shape.hpp).
#include "cuda/launch_shape.hpp"

#include <algorithm>
#include <string>

#include "cucnf/error.hpp"

namespace cucnf::detail {

WarpCaps& warp_caps() {
  static WarpCaps caps;
  return caps;
}

SolveDims make_dims(int n, const ParamLayout& l, bool adjoint, bool theta_in_norm,
                    std::size_t real_size) {
  SolveDims d;
  d.n = n;
  d.adjoint = adjoint;
  d.theta_in_norm = theta_in_norm;
  d.elems = adjoint ? 2 * l.dim + 2 : l.dim + 1;
  d.part0 = adjoint ? l.dim + 1 : l.dim;
  d.warps = std::max(1, std::min(n, adjoint ? warp_caps().adjoint : warp_caps().cnf));
  // Dynamic shared memory per warp, within what a block may have beside the kernels' static
  // shared memory (the controller).
  const std::size_t budget = kMaxSharedPerBlock - sizeof(StepControl);
  const std::size_t per_warp = std::size_t(d.elems + 2 * l.dim + 64) * real_size;
  if (per_warp > budget)
    throw Error(ErrorKind::invalid_argument,
                "dimension " + std::to_string(l.dim) +
                    " is too large for the CUDA backend's shared memory; use the CPU backend");
  if (2 * std::size_t(l.hidden) * real_size > budget)
    throw Error(ErrorKind::invalid_argument,
                "hidden width " + std::to_string(l.hidden) +
                    " is too large for the CUDA backend's shared memory; use the CPU backend");
  d.warps_per_block = int(std::min<std::size_t>(8, budget / per_warp));
  return d;
}

}  // namespace cucnf::detail
