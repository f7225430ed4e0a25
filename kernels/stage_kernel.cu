// One Runge-Kutta stage of the CNF system or of its adjoint, fused: stage input, field, exact
// trace, (adjoint) vector-Jacobian products and their batch reduction, and on the last stage
// of an attempt the new state and the error sums.
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "device_math.cuh"
#include "launch.cuh"
#include "rk_kernels.hpp"

namespace cucnf::detail {
namespace {

// stage_kernel (stage_body, launched as stage_kernel_cnf and stage_kernel_adjoint)
//   Y    = y + sum_{j<s} (dt a_sj) k_j                  (attempt; y itself for `initial`,
//                                                         y + dir h0 k_0 for `probe`)
//   a_k  = w_k . z + b_k,  h_k = tanh(a_k),  d_k = 1 - h_k^2
//   f    = (1/K) sum_k u~_k h_k,   tr = (1/K) sum_k d_k s_k,   k_s = [f, -tr]
//   adjoint (Y = [z, l, a_z, a_l]):  m_k = d_k (a_z . u~_k + 2 a_l h_k s_k),
//            k_s = [f, -tr, -(1/K) sum_k m_k w_k, 0], and per warp the running sums
//            g_w += m_k z, g_b += m_k, r += a_l d_k, g_u += h_k a_z  (hyper_backward uses them)
//   last stage of an attempt: y_new = y + sum_j (dt b_j) k_j (or Y when b is a's last row),
//            err = sum_j (dt e_j) k_j, per-warp sums of (err / (atol + rtol max|y|,|y_new|))^2
//            for the two parts of the norm.
// Mapping: one warp per sample, each warp looping over samples (grid-stride by warps). Lanes
// take the stage input's elements, then the units k in chunks of 32 (one unit per lane), then
// the output components j. The sample's Y, f and VJP sit in the warp's slice of shared memory;
// the units' h_k, m_k of a chunk too. Each lane owns the units k = lane (mod 32), so the
// adjoint's per-warp parameter sums need no atomics and reduce deterministically later.
template <class Real, bool kAdjoint>
__device__ __forceinline__ void stage_body(const SolveBuffers<Real>& b, const SolveDims& d,
                                           const ParamLayout& l, const Tableau& tab,
                                           const ControlParams& p, StageMode mode, int stage) {
  __shared__ StepControl c;
  // Stage-input terms, and for the last stage the solution and error weights (shared, so no
  // runtime-indexed local arrays: no stack frame).
  __shared__ const Real* kin[kMaxStages];
  __shared__ Real ain[kMaxStages];
  __shared__ int nin;
  __shared__ const Real* kall[kMaxStages];
  __shared__ Real bw[kMaxStages];
  __shared__ double ew[kMaxStages];
  load_control(b.ctl, c);
  if (mode == StageMode::attempt && c.status != kRunning) return;
  const int S = tab.stages;
  const size_t state = size_t(d.n) * d.elems;
  const StepGeometry g = step_geometry(c);
  const bool last = mode == StageMode::attempt && stage == S - 1;
  if (threadIdx.x == 0) {
    int count = 0;
    if (mode == StageMode::attempt) {
      for (int j = 0; j < stage; ++j) {
        if (tab.a[stage][j] == 0.0) continue;
        kin[count] = b.k + size_t(stage_slot(j, S, c.k0_slot)) * state;
        ain[count++] = Real(g.dt * tab.a[stage][j]);
      }
    } else if (mode == StageMode::probe) {
      kin[count] = b.k;  // slot 0 holds k_0 during the start of a solve
      ain[count++] = Real(c.dir * c.hairer_h0);
    }
    nin = count;
    if (last) {
      for (int j = 0; j < S; ++j) {
        kall[j] = b.k + size_t(stage_slot(j, S, c.k0_slot)) * state;
        bw[j] = Real(g.dt * tab.b[j]);
        ew[j] = g.dt * tab.e[j];
      }
    }
  }
  __syncthreads();
  const int lane = threadIdx.x % kWarp, warp_in_block = threadIdx.x / kWarp;
  const int warp = blockIdx.x * d.warps_per_block + warp_in_block;
  if (warp >= d.warps) return;

  const int D = l.dim, K = l.width, KD = K * D, E = d.elems;
  CUCNF_DYNAMIC_SHARED(smem_raw);
  Real* sy = reinterpret_cast<Real*>(smem_raw) + size_t(warp_in_block) * (E + 2 * D + 64);
  Real* sf = sy + E;
  Real* sv = sf + D;
  Real* sh = sv + D;
  Real* sm = sh + kWarp;

  const Real* y = b.y[c.buf];
  const Real* prm = b.stage_params + size_t(param_index(mode, stage)) * stage_params_stride(l);
  const Real* W = prm;
  const Real* B = prm + KD;
  const Real* Ut = B + K;
  const Real* Sk = Ut + KD;
  Real* kout = b.k + size_t(output_slot(mode, stage, S, c.k0_slot)) * state;

  Real* y_new = b.y[c.buf ^ 1];
  // Discrete adjoint: the stage input is kept for the backward pass, and the last stage's input
  // is the FSAL point of the new state (where the next step's k_0 is evaluated).
  Real* stage_input_out =
      b.stage_inputs && (mode == StageMode::attempt || mode == StageMode::initial)
          ? b.stage_inputs + size_t(mode == StageMode::initial ? 0 : stage) * state
          : nullptr;
  Real* fsal_out = b.fsal_point[0] && last && tab.fsal ? b.fsal_point[c.buf ^ 1] : nullptr;

  const int slice = param_partials_stride(l);
  Real* partial = kAdjoint ? b.param_partials + size_t(warp) * slice : nullptr;
  if (kAdjoint) {
    for (int k = lane; k < K; k += kWarp) {
      for (int j = 0; j < D; ++j) partial[k * D + j] = partial[KD + 2 * K + k * D + j] = 0;
      partial[KD + k] = partial[KD + K + k] = 0;
    }
  }

  const Real inv_k = Real(1) / Real(K);
  double q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0;  // the parts' sums (q2, q3: derivative's)
  for (int n = warp; n < d.n; n += d.warps) {
    const size_t base = size_t(n) * E;
    for (int e = lane; e < E; e += kWarp) {
      Real v = y[base + e];
      for (int i = 0; i < nin; ++i) v += ain[i] * kin[i][base + e];
      sy[e] = v;
      if (stage_input_out) stage_input_out[base + e] = v;
      if (fsal_out) fsal_out[base + e] = v;
    }
    for (int j = lane; j < D; j += kWarp) sf[j] = sv[j] = 0;
    __syncwarp();

    const Real* z = sy;
    const Real* az = sy + D + 1;
    const Real al = kAdjoint ? sy[2 * D + 1] : Real(0);
    Real tr = 0;
    for (int k0 = 0; k0 < K; k0 += kWarp) {
      const int k = k0 + lane;
      Real h = 0, m = 0;
      if (k < K) {
        Real a = B[k];
        for (int j = 0; j < D; ++j) a += W[k * D + j] * z[j];
        h = tanh_real(a);
        const Real dk = Real(1) - h * h;
        tr += dk * Sk[k];
        if (kAdjoint) {
          Real qk = 0;
          for (int j = 0; j < D; ++j) qk += az[j] * Ut[k * D + j];
          m = dk * (qk + Real(2) * al * h * Sk[k]);
          for (int j = 0; j < D; ++j) {
            partial[k * D + j] += m * z[j];
            partial[KD + 2 * K + k * D + j] += h * az[j];
          }
          partial[KD + k] += m;
          partial[KD + K + k] += al * dk;
        }
      }
      sh[lane] = h;
      sm[lane] = m;
      __syncwarp();
      const int units = min(kWarp, K - k0);
      for (int j = lane; j < D; j += kWarp) {
        Real f = 0, v = 0;
        for (int u = 0; u < units; ++u) {
          f += Ut[(k0 + u) * D + j] * sh[u];
          if (kAdjoint) v += W[(k0 + u) * D + j] * sm[u];
        }
        sf[j] += f;
        sv[j] += v;
      }
      __syncwarp();
    }
    tr = warp_sum(tr);

    for (int e = lane; e < E; e += kWarp) {
      Real kv;
      if (e < D) {
        kv = sf[e] * inv_k;
      } else if (e == D) {
        kv = -tr * inv_k;
      } else if (e < 2 * D + 1) {
        kv = -sv[e - D - 1] * inv_k;
      } else {
        kv = 0;  // a_l is constant
      }
      kout[base + e] = kv;
      const bool first_part = e < d.part0;
      const Real y0 = y[base + e];
      if (mode == StageMode::initial) {
        const double sc = p.atol + p.rtol * fabs(double(y0));
        const double f = double(kv) / sc + 0.0 * double(kv);  // inf -> NaN: non-finite
        if (first_part) {
          q0 += (double(y0) / sc) * (double(y0) / sc);
          q2 += f * f;
        } else {
          q1 += (double(y0) / sc) * (double(y0) / sc);
          q3 += f * f;
        }
      } else if (mode == StageMode::probe) {
        const double sc = p.atol + p.rtol * fabs(double(y0));
        const double df = (double(kv) - double(b.k[base + e])) / sc + 0.0 * double(kv);
        (first_part ? q0 : q1) += df * df;
      } else if (last) {
        Real yn;
        if (tab.b_is_last_stage) {
          yn = sy[e];
        } else {
          yn = y0;
          for (int j = 0; j < S; ++j) yn += bw[j] * kall[j][base + e];
        }
        y_new[base + e] = yn;
        double err = 0.0;  // the error weights sum to zero: accumulate in double
        for (int j = 0; j < S; ++j) err += ew[j] * double(kall[j][base + e]);
        const double tol = p.atol + p.rtol * fmax(fabs(double(y0)), fabs(double(yn)));
        const double r = err / tol + 0.0 * double(yn);
        (first_part ? q0 : q1) += r * r;
      }
    }
    __syncwarp();
  }
  q0 = warp_sum(q0);
  q1 = warp_sum(q1);
  q2 = warp_sum(q2);
  q3 = warp_sum(q3);
  if (lane == 0) {
    double* mine = b.err_partials + size_t(warp) * 4;
    mine[0] = q0;
    mine[1] = q1;
    mine[2] = q2;
    mine[3] = q3;
  }
}

// The two variants as kernels: the CNF's held to 64 registers (4 blocks of 8 warps per SM, 50%
// occupancy, no spills); the adjoint's left to ptxas (72 registers, 37.5%), which spills under
// any bound.
template <class Real>
__global__ void __launch_bounds__(8 * kWarp, 4)
    stage_kernel_cnf(SolveBuffers<Real> b, SolveDims d, ParamLayout l, Tableau tab, ControlParams p,
                     StageMode mode, int stage) {
  stage_body<Real, false>(b, d, l, tab, p, mode, stage);
}

template <class Real>
__global__ void stage_kernel_adjoint(SolveBuffers<Real> b, SolveDims d, ParamLayout l, Tableau tab,
                                     ControlParams p, StageMode mode, int stage) {
  stage_body<Real, true>(b, d, l, tab, p, mode, stage);
}

}  // namespace

template <class Real>
void launch_stage(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                  const Tableau& tab, const ControlParams& p, StageMode mode, int stage,
                  cudaStream_t stream) {
  const int blocks = (d.warps + d.warps_per_block - 1) / d.warps_per_block;
  const int threads = d.warps_per_block * kWarp;
  const size_t shared = stage_shared_bytes(d, l, sizeof(Real));
  if (d.adjoint) {
    CUCNF_LAUNCH("stage_kernel_adjoint", stage_kernel_adjoint<Real>, blocks, threads, shared,
                 stream, b, d, l, tab, p, mode, stage);
  } else {
    CUCNF_LAUNCH("stage_kernel_cnf", stage_kernel_cnf<Real>, blocks, threads, shared, stream, b, d,
                 l, tab, p, mode, stage);
  }
}

template void launch_stage<float>(const SolveBuffers<float>&, const SolveDims&, const ParamLayout&,
                                  const Tableau&, const ControlParams&, StageMode, int,
                                  cudaStream_t);
template void launch_stage<double>(const SolveBuffers<double>&, const SolveDims&,
                                   const ParamLayout&, const Tableau&, const ControlParams&,
                                   StageMode, int, cudaStream_t);

}  // namespace cucnf::detail
