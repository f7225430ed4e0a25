// The launch shape of the per-sample kernels (see launch_shape.hpp).
#include "cuda/launch_shape.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <string>

#include "cucnf/error.hpp"

namespace cucnf::detail {

WarpCaps& warp_caps() {
  static WarpCaps caps;
  return caps;
}

int multiprocessors() {
  static const int count = [] {
    int device = 0, value = 0;
    if (cudaGetDevice(&device) == cudaSuccess &&
        cudaDeviceGetAttribute(&value, cudaDevAttrMultiProcessorCount, device) == cudaSuccess &&
        value > 0)
      return value;
    return 132;  // an H100 SXM; only the spread of small batches depends on it
  }();
  return count;
}

namespace {

// The whole-attempt kernel's shape, when it serves (D <= 4, K <= 32 lanes' units, the shared
// memory fits): G lanes per sample, blocks of 256 threads, smaller ones at small batches so the
// blocks still spread over the SMs (down to 64 threads), and no more blocks than the SMs hold
// at once nor than the warp caps allow.
void attempt_shape(SolveDims& d, const ParamLayout& l, std::size_t real_size) {
  const int units = attempt_units_per_lane(real_size, d.adjoint);
  int lanes = 1;
  while (lanes * units < l.width) lanes *= 2;
  if (l.dim > 4 || lanes > 32) return;
  const int cap = std::max(1, d.adjoint ? warp_caps().adjoint : warp_caps().cnf);
  const long long total = static_cast<long long>(d.n) * lanes;
  int threads = kAttemptMaxThreads;
  while (threads > 64 && (total + threads - 1) / threads < multiprocessors()) threads /= 2;
  while (threads > kWarpSize && threads / kWarpSize > cap) threads /= 2;
  SolveDims shaped = d;
  shaped.attempt_threads = threads;
  const std::size_t shared = attempt_shared_bytes(shaped, l, real_size);
  if (shared > kMaxSharedPerBlock - kAttemptStaticShared) return;
  // As many blocks as the SMs hold at once (CUDA's occupancy calculator), no more: their groups
  // loop over the rest of the batch.
  shaped.adjoint = d.adjoint;
  const long long resident =
      static_cast<long long>(std::max(1, attempt_blocks_per_sm(shaped, l, real_size))) *
      multiprocessors();
  const long long blocks =
      std::min({(total + threads - 1) / threads, resident,
                static_cast<long long>(std::max(1, cap / (threads / kWarpSize)))});
  d.group_lanes = lanes;
  d.attempt_threads = threads;
  d.attempt_blocks = int(std::max(1LL, blocks));
}

}  // namespace

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
  attempt_shape(d, l, real_size);
  // finalize's a_theta update: about 4 parameters per thread of its 256-thread blocks.
  if (adjoint) d.finalize_blocks = std::clamp((l.total + 1023) / 1024, 1, 64);
  return d;
}

}  // namespace cucnf::detail
