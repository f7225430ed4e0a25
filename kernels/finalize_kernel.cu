// The end of a step attempt (or of a half of Hairer's first step): the a_theta update, the
// error norm from the partial sums and the a_theta parts, then the controller update.
#include <cuda_runtime.h>

#include <cub/block/block_reduce.cuh>

#include "cuda_check.hpp"
#include "device_math.cuh"
#include "finish_step.cuh"
#include "launch.cuh"
#include "rk_kernels.hpp"

namespace cucnf::detail {
namespace {

constexpr int kFinalizeThreads = 256;

// finalize_kernel
//   Adjoint: over the parameter vector, theta_new = theta + sum_j (dt b_j) k_theta_j, and per
//   tensor the sums of (err/tol)^2 (attempt), (theta/sc)^2 and (k_theta_0/sc)^2 (initial),
//   ((k_theta_1 - k_theta_0)/sc)^2 (probe), per block.
//   The last block to finish: sums_i = the err_partials entries' sums (i < 4) and the blocks'
//   tensor sums, each in a fixed order (deterministic); norm = max over parts of
//   sqrt(sum / count); then control_update, hairer_begin or hairer_end.
// Mapping: block i updates the i-th contiguous chunk of theta, threads striding over it, and
// cub::BlockReduce combines the threads' sums; the last block strides its threads over the
// entries and the blocks.
template <class Real>
__global__ void finalize_kernel(SolveBuffers<Real> b, SolveDims d, ParamLayout l, Tableau tab,
                                ControlParams p, StageMode mode, bool hairer, int err_entries) {
  __shared__ StepControl c;
  using BlockReduce = cub::BlockReduce<double, kFinalizeThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  __shared__ double sums[kNormSums];
  load_control(b.ctl, c);
  if (c.status != kRunning) return;

  const StepGeometry g = step_geometry(c);
  const bool theta_norm = d.adjoint && d.theta_in_norm;
  if (d.adjoint) {
    const int S = tab.stages;
    const Real* theta = b.theta[c.buf];
    const Real* k0 = b.k_theta;  // slot 0 (start of a solve)
    const Real* k1 = b.k_theta + l.total;
    const int chunk = (l.total + int(gridDim.x) - 1) / int(gridDim.x);
    const int begin = int(blockIdx.x) * chunk, end = min(l.total, begin + chunk);
    for (int t = 0; t < kThetaTensors; ++t) {
      double a = 0.0, a2 = 0.0;
      const int first = max(begin, theta_tensor_begin(l, t));
      const int last = min(end, theta_tensor_begin(l, t + 1));
      for (int e = first + threadIdx.x; e < last; e += blockDim.x) {
        const double th = double(theta[e]);
        const double sc = p.atol + p.rtol * fabs(th);
        if (mode == StageMode::attempt) {
          Real tn = theta[e];
          double err = 0.0;  // the error weights sum to zero: accumulate in double
          for (int j = 0; j < S; ++j) {
            const Real kj = b.k_theta[size_t(stage_slot(j, S, c.k0_slot)) * l.total + e];
            tn += Real(g.dt * tab.b[j]) * kj;
            err += g.dt * tab.e[j] * double(kj);
          }
          b.theta[c.buf ^ 1][e] = tn;
          const double tol = p.atol + p.rtol * fmax(fabs(th), fabs(double(tn)));
          const double r = err / tol + 0.0 * double(tn);
          a += r * r;
        } else if (mode == StageMode::initial) {
          // 0 * value turns an infinite derivative into NaN, as in the per-sample sums.
          const double f = double(k0[e]) / sc + 0.0 * double(k0[e]);
          a += (th / sc) * (th / sc);
          a2 += f * f;
        } else {
          const double df = (double(k1[e]) - double(k0[e])) / sc + 0.0 * double(k1[e]);
          a += df * df;
        }
      }
      if (theta_norm) {
        const double total = BlockReduce(temp).Sum(a);
        __syncthreads();
        const double total2 = BlockReduce(temp).Sum(a2);
        if (threadIdx.x == 0) {
          b.fin_partials[size_t(blockIdx.x) * kNormSums + 4 + 2 * t] = total;
          b.fin_partials[size_t(blockIdx.x) * kNormSums + 5 + 2 * t] = total2;
        }
        __syncthreads();
      }
    }
  }
  if (!is_last_block(b.done)) return;

  for (int i = 0; i < kNormSums; ++i) {
    double local = 0.0;
    if (i < 4) {
      for (int w = threadIdx.x; w < err_entries; w += blockDim.x)
        local += b.err_partials[size_t(w) * 4 + i];
    } else if (theta_norm) {
      for (int w = threadIdx.x; w < int(gridDim.x); w += blockDim.x)
        local += b.fin_partials[size_t(w) * kNormSums + i];
    }
    const double total = BlockReduce(temp).Sum(local);
    if (threadIdx.x == 0) sums[i] = total;
    __syncthreads();
  }
  if (threadIdx.x == 0) *b.ctl = finished_control(c, sums, d, l, tab, p, mode, hairer, theta_norm);
}

}  // namespace

template <class Real>
void launch_finalize(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                     const Tableau& tab, const ControlParams& p, StageMode mode, bool hairer,
                     int err_entries, cudaStream_t stream) {
  CUCNF_LAUNCH("finalize_kernel", finalize_kernel<Real>, d.adjoint ? d.finalize_blocks : 1,
               kFinalizeThreads, 0, stream, b, d, l, tab, p, mode, hairer, err_entries);
}

template void launch_finalize<float>(const SolveBuffers<float>&, const SolveDims&,
                                     const ParamLayout&, const Tableau&, const ControlParams&,
                                     StageMode, bool, int, cudaStream_t);
template void launch_finalize<double>(const SolveBuffers<double>&, const SolveDims&,
                                      const ParamLayout&, const Tableau&, const ControlParams&,
                                      StageMode, bool, int, cudaStream_t);

}  // namespace cucnf::detail
