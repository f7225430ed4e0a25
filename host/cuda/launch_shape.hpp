// The launch shape of the per-sample kernels: how many warps loop over a batch, and how many
// share a block within its shared memory.
#pragma once

#include <cstddef>

#include "core/param_layout.hpp"
#include "rk_kernels.hpp"

namespace cucnf::detail {

/// Caps on the warps of the per-sample kernels; past a cap each warp loops over several samples
/// (and accumulates their error sums and parameter partials). Process-wide: the geometry tests
/// lower them to make warps loop at small batches.
struct WarpCaps {
  int cnf = 8192;
  int adjoint = 1024;
};
WarpCaps& warp_caps();

/// Shared memory a block may use (beside nothing opted in): CUDA's default 48 KB.
constexpr std::size_t kMaxSharedPerBlock = 48 * 1024;

/// Static shared memory of the attempt kernel (controller, stage pointers and coefficients),
/// with room to spare: its dynamic shared memory must fit beside it.
constexpr std::size_t kAttemptStaticShared = 1024;
constexpr int kWarpSize = 32;

/// The device's multiprocessors (queried once; 132, an H100's, when there is no device).
int multiprocessors();

/// The dims of a solve of n samples: the state layout, the warps (n up to the cap) and the warps
/// per block (up to 8, as many as the shared memory allows), and the whole-attempt kernel's
/// shape where it serves (rk_kernels.hpp). Throws Error(invalid_argument) when
/// D or the hidden width do not fit the CUDA backend's shared memory.
SolveDims make_dims(int n, const ParamLayout& l, bool adjoint, bool theta_in_norm,
                    std::size_t real_size);

}  // namespace cucnf::detail
