// The end of a step attempt (or of a half of Hairer's first step): the error norm from the
// per-warp partial sums and the a_theta parts, then the controller update, on the device.
#include <cuda_runtime.h>

#include <cub/block/block_reduce.cuh>

#include "cuda_check.hpp"
#include "device_math.cuh"
#include "launch.cuh"
#include "rk_kernels.hpp"

namespace cucnf::detail {
namespace {

constexpr int kFinalizeThreads = 256;
constexpr int kTensors = 6;

// finalize_kernel
//   sums_i = sum over warps of err_partials[w][i] (i < 4), in a fixed order: deterministic.
//   Adjoint: over the parameter vector, theta_new = theta + sum_j (dt b_j) k_theta_j, and per
//   tensor the sums of (err/tol)^2 (attempt), (theta/sc)^2 and (k_theta_0/sc)^2 (initial),
//   ((k_theta_1 - k_theta_0)/sc)^2 (probe).
//   norm = max over parts of sqrt(sum / count); then control_update, hairer_begin or hairer_end.
// Mapping: one block; threads stride over warps, then over parameters; cub::BlockReduce
// combines the threads' sums.
template <class Real>
__global__ void finalize_kernel(SolveBuffers<Real> b, SolveDims d, ParamLayout l, Tableau tab,
                                ControlParams p, StageMode mode, bool hairer) {
  __shared__ StepControl c;
  using BlockReduce = cub::BlockReduce<double, kFinalizeThreads>;
  __shared__ typename BlockReduce::TempStorage temp;
  __shared__ double sums[4 + 2 * kTensors];
  load_control(b.ctl, c);
  if (c.status != kRunning) return;

  double local[4] = {0.0, 0.0, 0.0, 0.0};
  for (int w = threadIdx.x; w < d.warps; w += blockDim.x)
    for (int i = 0; i < 4; ++i) local[i] += b.err_partials[size_t(w) * 4 + i];
  for (int i = 0; i < 4; ++i) {
    const double total = BlockReduce(temp).Sum(local[i]);
    if (threadIdx.x == 0) sums[i] = total;
    __syncthreads();
  }

  const int offsets[kTensors + 1] = {l.fc1_w, l.fc1_b, l.fc2_w, l.fc2_b, l.fc3_w, l.fc3_b, l.total};
  const StepGeometry g = step_geometry(c);
  const bool theta_norm = d.adjoint && d.theta_in_norm;
  if (d.adjoint) {
    const int S = tab.stages;
    const Real* theta = b.theta[c.buf];
    const Real* k0 = b.k_theta;  // slot 0 (start of a solve)
    const Real* k1 = b.k_theta + l.total;
    for (int t = 0; t < kTensors; ++t) {
      double a = 0.0, a2 = 0.0;
      for (int e = offsets[t] + threadIdx.x; e < offsets[t + 1]; e += blockDim.x) {
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
          sums[4 + 2 * t] = total;
          sums[5 + 2 * t] = total2;
        }
        __syncthreads();
      }
    }
  }
  if (threadIdx.x != 0) return;

  // Max over the norm's parts of the RMS; a NaN part makes the norm NaN (never hidden).
  const double count0 = double(d.n) * d.part0, count1 = double(d.n) * (d.elems - d.part0);
  auto rms_max = [&](int first) {
    double norm = 0.0;
    auto take = [&norm](double r) { norm = (isnan(r) || isnan(norm)) ? NAN : fmax(norm, r); };
    take(sqrt(sums[first] / count0));
    take(sqrt(sums[first + 1] / count1));
    if (theta_norm) {
      for (int t = 0; t < kTensors; ++t)
        take(sqrt(sums[4 + 2 * t + (first == 2 ? 1 : 0)] / (offsets[t + 1] - offsets[t])));
    }
    return norm;
  };
  StepControl next = c;
  if (mode == StageMode::attempt) {
    control_update(next, p, rms_max(0));
  } else if (mode == StageMode::initial) {
    next.nfe += 1;
    if (hairer) {
      hairer_begin(next, rms_max(0), rms_max(2));
    } else {
      check_next_attempt(next);
    }
  } else {
    next.nfe += 1;
    hairer_end(next, rms_max(0), tab.order);
  }
  *b.ctl = next;
}

}  // namespace

template <class Real>
void launch_finalize(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                     const Tableau& tab, const ControlParams& p, StageMode mode, bool hairer,
                     cudaStream_t stream) {
  CUCNF_LAUNCH("finalize_kernel", finalize_kernel<Real>, 1, kFinalizeThreads, 0, stream, b, d, l,
               tab, p, mode, hairer);
}

template void launch_finalize<float>(const SolveBuffers<float>&, const SolveDims&,
                                     const ParamLayout&, const Tableau&, const ControlParams&,
                                     StageMode, bool, cudaStream_t);
template void launch_finalize<double>(const SolveBuffers<double>&, const SolveDims&,
                                      const ParamLayout&, const Tableau&, const ControlParams&,
                                      StageMode, bool, cudaStream_t);

}  // namespace cucnf::detail
