// One whole step attempt of the CNF system or of its adjoint in a single launch, for small D and
// K: every stage, the new state and the error sums. Samples are independent of each other, so
// the stages of a sample need no grid-wide barrier, only the batch's sums do: the CNF attempt
// also finishes the step (norm and controller update) in its last block; the adjoint leaves
// per-block parameter partials for hyper_backward and the norm to finalize.
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "device_math.cuh"
#include "finish_step.cuh"
#include "launch.cuh"
#include "rk_kernels.hpp"

namespace cucnf::detail {
namespace {

constexpr int kMaxBlockWarps = kAttemptMaxThreads / kWarp;
// Blocks of 256 threads an SM must hold at once: 4 (half its 64 warps, 64 registers a thread)
// for float32 at D <= 2 (the CNF at any D), where that costs no spills; otherwise 2 (128
// registers: the float64 and larger-D adjoint variants would spill at 64).
template <class Real, int D, bool kAdjoint>
constexpr int attempt_min_blocks() {
  return sizeof(Real) == 4 && (!kAdjoint || D <= 2) ? 4 : 2;
}

// attempt_kernel
//   for s = first..S-1 (stage-outer, so a block loads each stage's W, B, U~, s once):
//     Y    = y + sum_{j<s} (dt a_sj) k_j
//     a_k  = w_k . z + b_k,  h_k = tanh(a_k),  d_k = 1 - h_k^2
//     k_s  = [ (1/K) sum_k u~_k h_k,  -(1/K) sum_k d_k s_k ]                       (CNF)
//     adjoint, Y = [z, l, a_z, a_l]:  m_k = d_k (a_z . u~_k + 2 a_l h_k s_k),
//            k_s = [f, -tr, -(1/K) sum_k m_k w_k, 0], and per block the stage's sums
//            g_w = sum m_k z, g_b = sum m_k, r = sum a_l d_k, g_u = sum h_k a_z
//   then: y_new = y + sum_j (dt b_j) k_j,
//            err = sum_j (dt e_j) k_j, per block sums of (err / (atol + rtol max|y|,|y_new|))^2
//            for the two parts of the norm;  CNF: the last block sums the blocks' error sums in
//            block order and updates the controller (finish_step.cuh).
// Mapping: a group of G lanes (a power of two, G * U >= K) per sample; lane g of a group owns
// the units k = g + G u, u < U, so a sample's unit sums are U serial terms then log2 G shuffles.
// Groups loop over samples in rounds (n = group + round * groups); every lane runs every round,
// idle ones with no sample, so the shuffles stay converged. Component e of a sample's state,
// k_s and error is read and written by lane e mod G of its group, the same lane in every stage,
// so a stage reads its own earlier k_j without a barrier. The stage's W, B, U~, s sit in shared
// memory. Adjoint partials stay in registers over a stage's rounds, are summed over the warp's
// groups by shuffles, then over the block's warps in warp order (deterministic), into one
// partial per block and stage.
template <class Real, int D, bool kAdjoint>
__global__ void __launch_bounds__(kAttemptMaxThreads, (attempt_min_blocks<Real, D, kAdjoint>()))
    attempt_kernel(SolveBuffers<Real> b, SolveDims d, ParamLayout l, Tableau tab, ControlParams p) {
  constexpr int U = attempt_units_per_lane(sizeof(Real), kAdjoint);
  constexpr int E = kAdjoint ? 2 * D + 2 : D + 1;
  constexpr int kPart0 = kAdjoint ? D + 1 : D;
  __shared__ StepControl c;
  __shared__ const Real* kin[kMaxStages];
  __shared__ Real ain[kMaxStages];
  __shared__ int nin;
  __shared__ const Real* kall[kMaxStages];
  __shared__ Real bw[kMaxStages];
  __shared__ double ew[kMaxStages];
  __shared__ double warp_q[2][kMaxBlockWarps];
  load_control(b.ctl, c);
  if (c.status != kRunning) return;  // queued past the end of the solve: nothing to do

  const int G = d.group_lanes, K = l.width, KD = K * D, S = tab.stages;
  const int lane = threadIdx.x % kWarp, warp_in_block = threadIdx.x / kWarp;
  const int g = threadIdx.x & (G - 1);
  const int groups = int(gridDim.x) * int(blockDim.x) / G;
  const int group = (int(blockIdx.x) * int(blockDim.x) + int(threadIdx.x)) / G;
  // Every lane runs every round (idle ones with no sample): the shuffles stay converged.
  const int samples_end = (d.n + groups - 1) / groups * groups;
  const int stride = stage_params_stride(l), slice = param_partials_stride(l);
  CUCNF_DYNAMIC_SHARED(smem_raw);
  Real* sp = reinterpret_cast<Real*>(smem_raw);  // the stage's [W | B | U~ | s]
  Real* warp_partials = sp + stride;             // adjoint: warps x slice

  const size_t state = size_t(d.n) * E;
  const StepGeometry geo = step_geometry(c);
  const Real* y = b.y[c.buf];
  Real* y_new = b.y[c.buf ^ 1];
  const Real inv_k = Real(1) / Real(K);
  if (threadIdx.x == 0) {  // the solution and error weights, read after the stages
    for (int j = 0; j < S; ++j) {
      kall[j] = b.k + size_t(stage_slot(j, S, c.k0_slot)) * state;
      bw[j] = Real(geo.dt * tab.b[j]);
      ew[j] = geo.dt * tab.e[j];
    }
  }

  for (int s = tab.fsal ? 1 : 0; s < S; ++s) {
    __syncthreads();  // the previous stage's parameters and partials are no longer read
    if (threadIdx.x == 0) {
      int count = 0;
      for (int j = 0; j < s; ++j) {
        if (tab.a[s][j] == 0.0) continue;
        kin[count] = b.k + size_t(stage_slot(j, S, c.k0_slot)) * state;
        ain[count++] = Real(geo.dt * tab.a[s][j]);
      }
      nin = count;
    }
    const Real* prm = b.stage_params + size_t(s) * stride;
    for (int i = threadIdx.x; i < stride; i += blockDim.x) sp[i] = prm[i];
    __syncthreads();
    const Real* W = sp;
    const Real* B = sp + KD;
    const Real* Ut = B + K;
    const Real* Sk = Ut + KD;
    Real* kout = b.k + size_t(stage_slot(s, S, c.k0_slot)) * state;

    Real pw[U][D], pu[U][D], pb[U], pr[U];  // adjoint: this lane's units' partial sums
#pragma unroll
    for (int u = 0; u < U; ++u) {
      pb[u] = pr[u] = 0;
#pragma unroll
      for (int j = 0; j < D; ++j) pw[u][j] = pu[u][j] = 0;
    }

    for (int n = group; n < samples_end; n += groups) {
      const bool active = n < d.n;
      const size_t base = size_t(active ? n : 0) * E;
      Real Y[E];
#pragma unroll
      for (int e = 0; e < E; ++e) Y[e] = active ? y[base + e] : Real(0);
      for (int i = 0; i < nin; ++i) {
        const Real* ki = kin[i] + base;
        const Real ai = ain[i];
#pragma unroll
        for (int e = 0; e < E; ++e)
          if (active) Y[e] += ai * ki[e];
      }
      Real f[D], vjp[D], tr = 0;
#pragma unroll
      for (int j = 0; j < D; ++j) f[j] = vjp[j] = 0;
      const Real al = kAdjoint ? Y[2 * D + 1] : Real(0);
#pragma unroll
      for (int u = 0; u < U; ++u) {
        const int k = g + u * G;
        if (!active || k >= K) continue;
        Real a = B[k];
#pragma unroll
        for (int j = 0; j < D; ++j) a += W[k * D + j] * Y[j];
        const Real h = tanh_real(a);
        const Real dk = Real(1) - h * h;
        tr += dk * Sk[k];
#pragma unroll
        for (int j = 0; j < D; ++j) f[j] += Ut[k * D + j] * h;
        if (kAdjoint) {
          Real qk = 0;
#pragma unroll
          for (int j = 0; j < D; ++j) qk += Y[D + 1 + j] * Ut[k * D + j];
          const Real m = dk * (qk + Real(2) * al * h * Sk[k]);
#pragma unroll
          for (int j = 0; j < D; ++j) {
            vjp[j] += m * W[k * D + j];
            pw[u][j] += m * Y[j];
            pu[u][j] += h * Y[D + 1 + j];
          }
          pb[u] += m;
          pr[u] += al * dk;
        }
      }
      for (int offset = G / 2; offset > 0; offset /= 2) {
        tr += __shfl_xor_sync(0xffffffffu, tr, offset, G);
#pragma unroll
        for (int j = 0; j < D; ++j) {
          f[j] += __shfl_xor_sync(0xffffffffu, f[j], offset, G);
          if (kAdjoint) vjp[j] += __shfl_xor_sync(0xffffffffu, vjp[j], offset, G);
        }
      }
      if (!active) continue;

#pragma unroll
      for (int e = 0; e < E; ++e) {
        if ((e & (G - 1)) != g) continue;
        Real kv;
        if (e < D) {
          kv = f[e] * inv_k;
        } else if (e == D) {
          kv = -tr * inv_k;
        } else if (e < 2 * D + 1) {
          kv = -vjp[(e - D - 1) % D] * inv_k;
        } else {
          kv = 0;  // a_l is constant
        }
        kout[base + e] = kv;
      }
    }

    if (kAdjoint) {
      // Sum the partials over the warp's groups (lanes with the same g), then over the block's
      // warps in warp order, into this block's partial of stage s.
#pragma unroll
      for (int u = 0; u < U; ++u) {
        for (int offset = G; offset < kWarp; offset *= 2) {
          pb[u] += __shfl_xor_sync(0xffffffffu, pb[u], offset);
          pr[u] += __shfl_xor_sync(0xffffffffu, pr[u], offset);
#pragma unroll
          for (int j = 0; j < D; ++j) {
            pw[u][j] += __shfl_xor_sync(0xffffffffu, pw[u][j], offset);
            pu[u][j] += __shfl_xor_sync(0xffffffffu, pu[u][j], offset);
          }
        }
      }
      Real* mine = warp_partials + size_t(warp_in_block) * slice;
      if (lane < G) {
#pragma unroll
        for (int u = 0; u < U; ++u) {
          const int k = g + u * G;
          if (k >= K) continue;
#pragma unroll
          for (int j = 0; j < D; ++j) {
            mine[k * D + j] = pw[u][j];
            mine[KD + 2 * K + k * D + j] = pu[u][j];
          }
          mine[KD + k] = pb[u];
          mine[KD + K + k] = pr[u];
        }
      }
      __syncthreads();
      const int warps = int(blockDim.x) / kWarp;
      Real* out = b.param_partials + (size_t(s) * gridDim.x + blockIdx.x) * slice;
      for (int i = threadIdx.x; i < slice; i += blockDim.x) {
        Real acc = 0;
        for (int w = 0; w < warps; ++w) acc += warp_partials[size_t(w) * slice + i];
        out[i] = acc;
      }
    }
  }

  // The new state and the error sums: component e of a sample by the lane that wrote its k_j.
  double q0 = 0.0, q1 = 0.0;
  for (int n = group; n < d.n; n += groups) {
    const size_t base = size_t(n) * E;
    for (int e = g; e < E; e += G) {
      const Real y0 = y[base + e];
      Real yn = y0;
      double err = 0.0;  // the error weights sum to zero: accumulate in double
      for (int j = 0; j < S; ++j) {
        const Real kj = kall[j][base + e];
        yn += bw[j] * kj;
        err += ew[j] * double(kj);
      }
      y_new[base + e] = yn;
      const double tol = p.atol + p.rtol * fmax(fabs(double(y0)), fabs(double(yn)));
      const double r = err / tol + 0.0 * double(yn);  // inf -> NaN: non-finite
      if (e < kPart0) {
        q0 += r * r;
      } else {
        q1 += r * r;
      }
    }
  }

  // The block's error sums, warp by warp in order.
  q0 = warp_sum(q0);
  q1 = warp_sum(q1);
  if (lane == 0) {
    warp_q[0][warp_in_block] = q0;
    warp_q[1][warp_in_block] = q1;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    double s0 = 0.0, s1 = 0.0;
    for (int w = 0; w < int(blockDim.x) / kWarp; ++w) {
      s0 += warp_q[0][w];
      s1 += warp_q[1][w];
    }
    double* mine = b.err_partials + size_t(blockIdx.x) * 4;
    mine[0] = s0;
    mine[1] = s1;
    mine[2] = mine[3] = 0.0;
  }
  if (kAdjoint) return;  // hyper_backward, then finalize, finish the adjoint's attempt

  // The CNF attempt ends here: the last block sums the blocks' error sums in block order.
  if (!is_last_block(b.done)) return;
  if (threadIdx.x >= kWarp) return;
  double s0 = 0.0, s1 = 0.0;
  for (int i = threadIdx.x; i < int(gridDim.x); i += kWarp) {
    s0 += b.err_partials[size_t(i) * 4];
    s1 += b.err_partials[size_t(i) * 4 + 1];
  }
  s0 = warp_sum(s0);
  s1 = warp_sum(s1);
  if (threadIdx.x == 0) {
    double sums[kNormSums] = {s0, s1};
    *b.ctl = finished_control(c, sums, d, l, tab, p, StageMode::attempt, false, false);
  }
}

// attempt_kernel<Real, D, kAdjoint> for a run-time D (1-4; nullptr otherwise): the one dispatch
// the launch and the occupancy query share.
template <class Real, bool kAdjoint>
auto attempt_kernel_for(int dim) -> decltype(&attempt_kernel<Real, 1, kAdjoint>) {
  switch (dim) {
    case 1:
      return attempt_kernel<Real, 1, kAdjoint>;
    case 2:
      return attempt_kernel<Real, 2, kAdjoint>;
    case 3:
      return attempt_kernel<Real, 3, kAdjoint>;
    case 4:
      return attempt_kernel<Real, 4, kAdjoint>;
    default:
      return nullptr;
  }
}

template <class Real, bool kAdjoint>
void launch_attempt_for(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                        const Tableau& tab, const ControlParams& p, cudaStream_t stream) {
  const auto kernel = attempt_kernel_for<Real, kAdjoint>(l.dim);
  if (!kernel)
    throw_cuda_error(cudaErrorInvalidValue, "attempt_kernel: no variant for this dimension",
                     __FILE__, __LINE__);
  CUCNF_LAUNCH(kAdjoint ? "attempt_kernel<adjoint>" : "attempt_kernel<cnf>", kernel,
               d.attempt_blocks, d.attempt_threads, attempt_shared_bytes(d, l, sizeof(Real)),
               stream, b, d, l, tab, p);
}

template <class Real, bool kAdjoint>
cudaError_t blocks_per_sm_for(int* blocks, int dim, int threads, size_t shared) {
  const auto kernel = attempt_kernel_for<Real, kAdjoint>(dim);
  if (!kernel) return cudaErrorInvalidValue;
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, kernel, threads, shared);
}

}  // namespace

int attempt_blocks_per_sm(const SolveDims& d, const ParamLayout& l, size_t real_size) {
  const size_t shared = attempt_shared_bytes(d, l, real_size);
  int blocks = 0;
  cudaError_t status;
  if (real_size == sizeof(double)) {
    status = d.adjoint
                 ? blocks_per_sm_for<double, true>(&blocks, l.dim, d.attempt_threads, shared)
                 : blocks_per_sm_for<double, false>(&blocks, l.dim, d.attempt_threads, shared);
  } else {
    status = d.adjoint ? blocks_per_sm_for<float, true>(&blocks, l.dim, d.attempt_threads, shared)
                       : blocks_per_sm_for<float, false>(&blocks, l.dim, d.attempt_threads, shared);
  }
  CUCNF_CUDA_CHECK(status);
  return blocks;
}

template <class Real>
void launch_attempt(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                    const Tableau& tab, const ControlParams& p, cudaStream_t stream) {
  if (d.adjoint) {
    launch_attempt_for<Real, true>(b, d, l, tab, p, stream);
  } else {
    launch_attempt_for<Real, false>(b, d, l, tab, p, stream);
  }
}

template void launch_attempt<float>(const SolveBuffers<float>&, const SolveDims&,
                                    const ParamLayout&, const Tableau&, const ControlParams&,
                                    cudaStream_t);
template void launch_attempt<double>(const SolveBuffers<double>&, const SolveDims&,
                                     const ParamLayout&, const Tableau&, const ControlParams&,
                                     cudaStream_t);

}  // namespace cucnf::detail
