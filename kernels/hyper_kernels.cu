// The hypernetwork on the device: forward at the stage times of a step, and the backward pass
// of a stage's batch-reduced parameter cotangent.
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "device_math.cuh"
#include "launch.cuh"
#include "rk_kernels.hpp"

namespace cucnf::detail {
namespace {

constexpr int kHyperThreads = 256;

// hyper_forward_kernel
//   x1 = tanh(W1 t + b1), x2 = tanh(W2 x1 + b2), p = W3 x2 + b3 = [W, U, G, B];
//   U~ = U * sigmoid(G), s_k = u~_k . w_k.
// Mapping: one block per stage time; threads stride over the H, H, P, KD and K outputs of the
// successive layers, with __syncthreads between layers. x1, x2 live in shared memory, p in the
// stage's hyper_cache (which the backward pass reads too).
template <class Real>
__global__ void hyper_forward_kernel(SolveBuffers<Real> b, ParamLayout l, Tableau tab,
                                     StageMode mode, int first_stage) {
  __shared__ StepControl c;
  load_control(b.ctl, c);
  if (mode == StageMode::attempt && c.status != kRunning) return;
  CUCNF_DYNAMIC_SHARED(smem_raw);
  Real* x1 = reinterpret_cast<Real*>(smem_raw);
  Real* x2 = x1 + l.hidden;

  const int stage = first_stage + blockIdx.x;
  const int index = param_index(mode, stage);
  double t;
  if (mode == StageMode::attempt) {
    t = stage_time(c, step_geometry(c), tab.c[stage]);
  } else if (mode == StageMode::initial) {
    t = c.t;
  } else {
    t = c.t + c.dir * c.hairer_h0;
  }
  const Real tr = Real(t);
  const Real* theta = b.theta_model;
  Real* cache = b.hyper_cache + size_t(index) * hyper_cache_stride(l);
  Real* p = cache + 1 + 2 * l.hidden;
  Real* params = b.stage_params + size_t(index) * stage_params_stride(l);
  const int H = l.hidden, P = l.outputs, K = l.width, D = l.dim, KD = K * D;

  for (int o = threadIdx.x; o < H; o += blockDim.x)
    x1[o] = tanh_real(theta[l.fc1_w + o] * tr + theta[l.fc1_b + o]);
  __syncthreads();
  for (int o = threadIdx.x; o < H; o += blockDim.x) {
    Real acc = theta[l.fc2_b + o];
    const Real* row = theta + l.fc2_w + size_t(o) * H;
    for (int i = 0; i < H; ++i) acc += row[i] * x1[i];
    x2[o] = tanh_real(acc);
  }
  __syncthreads();
  for (int o = threadIdx.x; o < P; o += blockDim.x) {
    Real acc = theta[l.fc3_b + o];
    const Real* row = theta + l.fc3_w + size_t(o) * H;
    for (int i = 0; i < H; ++i) acc += row[i] * x2[i];
    p[o] = acc;
  }
  if (threadIdx.x == 0) cache[0] = tr;
  for (int o = threadIdx.x; o < H; o += blockDim.x) {
    cache[1 + o] = x1[o];
    cache[1 + H + o] = x2[o];
  }
  __syncthreads();
  Real* w = params;
  Real* bias = params + KD;
  Real* u_tilde = bias + K;
  Real* s = u_tilde + KD;
  for (int i = threadIdx.x; i < KD; i += blockDim.x) {
    const Real sg = Real(1) / (Real(1) + exp_real(-p[l.p_g + i]));
    w[i] = p[l.p_w + i];
    u_tilde[i] = p[l.p_u + i] * sg;
  }
  for (int k = threadIdx.x; k < K; k += blockDim.x) bias[k] = p[l.p_b + k];
  __syncthreads();
  for (int k = threadIdx.x; k < K; k += blockDim.x) {
    Real acc = 0;
    for (int j = 0; j < D; ++j) acc += u_tilde[k * D + j] * w[k * D + j];
    s[k] = acc;
  }
}

// hyper_backward_kernel
//   Sums the partials [g_w | g_b | r | g_u] of one stage over the kernel's warps or blocks that
//   wrote them (fixed order), then with U~ = U sigmoid(G):  dL/dW = (g_w - r u~)/K,
//   dL/dU~ = (g_u - r w)/K, dL/dB = g_b/K, dL/dU = dL/dU~ sigmoid(G),
//   dL/dG = dL/dU~ U sigmoid(G)(1 - sigmoid(G)), and backpropagates gp = dL/dp through fc3,
//   fc2, fc1. Writes k_theta = -(dL/dtheta): the a_theta derivative.
// Mapping: one block of kHyperThreads per stage (stage = first_stage + blockIdx.x). The sum
// over partials takes 32 entries at a time, kHyperThreads / 32 threads per entry each summing
// every (kHyperThreads / 32)-th partial, then those sums in order. Threads then stride over the
// parameter gradients; the H-long input cotangents W^T g are one warp per entry, lanes over rows.
template <class Real>
__global__ void hyper_backward_kernel(SolveBuffers<Real> b, ParamLayout l, Tableau tab,
                                      StageMode mode, int first_stage, int partial_count,
                                      size_t stage_stride) {
  constexpr int kRows = kHyperThreads / kWarp;
  __shared__ StepControl c;
  __shared__ Real rows[kRows][kWarp];
  load_control(b.ctl, c);
  if (mode == StageMode::attempt && c.status != kRunning) return;
  CUCNF_DYNAMIC_SHARED(smem_raw);
  Real* g2 = reinterpret_cast<Real*>(smem_raw);  // H
  Real* g1 = g2 + l.hidden;                      // H

  const int stage = first_stage + int(blockIdx.x);
  const int index = param_index(mode, stage);
  const int H = l.hidden, P = l.outputs, K = l.width, D = l.dim, KD = K * D;
  const int slice = param_partials_stride(l);
  Real* reduced = b.reduced + size_t(index) * slice;  // global: any K and D fit
  const Real* partials = b.param_partials + size_t(stage) * stage_stride;
  const int column = threadIdx.x % kWarp, row = threadIdx.x / kWarp;
  for (int first = 0; first < slice; first += kWarp) {
    const int i = first + column;
    Real acc = 0;
    if (i < slice)
      for (int w = row; w < partial_count; w += kRows) acc += partials[size_t(w) * slice + i];
    rows[row][column] = acc;
    __syncthreads();
    if (row == 0 && i < slice) {
      Real total = 0;
      for (int r = 0; r < kRows; ++r) total += rows[r][column];
      reduced[i] = total;
    }
    __syncthreads();
  }
  const Real* cache = b.hyper_cache + size_t(index) * hyper_cache_stride(l);
  const Real t = cache[0];
  const Real* x1 = cache + 1;
  const Real* x2 = x1 + H;
  const Real* p = x2 + H;
  const Real inv_k = Real(1) / Real(K);
  const Real* g_w = reduced;
  const Real* g_b = reduced + KD;
  const Real* r = g_b + K;
  const Real* g_u = r + K;
  Real* gp = b.gp + size_t(index) * P;
  for (int i = threadIdx.x; i < KD; i += blockDim.x) {
    const int k = i / D;
    const Real w = p[l.p_w + i], u = p[l.p_u + i];
    const Real sg = Real(1) / (Real(1) + exp_real(-p[l.p_g + i]));
    const Real dw = (g_w[i] - r[k] * u * sg) * inv_k;
    const Real du_tilde = (g_u[i] - r[k] * w) * inv_k;
    gp[l.p_w + i] = dw;
    gp[l.p_u + i] = du_tilde * sg;
    gp[l.p_g + i] = du_tilde * u * sg * (Real(1) - sg);
  }
  for (int k = threadIdx.x; k < K; k += blockDim.x) gp[l.p_b + k] = g_b[k] * inv_k;
  __syncthreads();

  const int slot = output_slot(mode, stage, tab.stages, c.k0_slot);
  Real* out = b.k_theta + size_t(slot) * l.total;
  const Real* theta = b.theta_model;
  for (size_t i = threadIdx.x; i < size_t(P) * H; i += blockDim.x)
    out[l.fc3_w + i] = -gp[i / H] * x2[i % H];
  for (int o = threadIdx.x; o < P; o += blockDim.x) out[l.fc3_b + o] = -gp[o];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
  for (int i = warp; i < H; i += warps) {
    Real acc = 0;
    for (int o = lane; o < P; o += kWarp) acc += theta[l.fc3_w + size_t(o) * H + i] * gp[o];
    acc = warp_sum(acc);
    if (lane == 0) g2[i] = acc * (Real(1) - x2[i] * x2[i]);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < H * H; i += blockDim.x) out[l.fc2_w + i] = -g2[i / H] * x1[i % H];
  for (int o = threadIdx.x; o < H; o += blockDim.x) out[l.fc2_b + o] = -g2[o];
  for (int i = warp; i < H; i += warps) {
    Real acc = 0;
    for (int o = lane; o < H; o += kWarp) acc += theta[l.fc2_w + size_t(o) * H + i] * g2[o];
    acc = warp_sum(acc);
    if (lane == 0) g1[i] = acc * (Real(1) - x1[i] * x1[i]);
  }
  __syncthreads();
  for (int o = threadIdx.x; o < H; o += blockDim.x) {
    out[l.fc1_w + o] = -g1[o] * t;
    out[l.fc1_b + o] = -g1[o];
  }
}

}  // namespace

template <class Real>
void launch_hyper_forward(const SolveBuffers<Real>& b, const ParamLayout& l, const Tableau& tab,
                          StageMode mode, cudaStream_t stream) {
  int first = 0, count = 1;
  if (mode == StageMode::attempt) {
    first = tab.fsal ? 1 : 0;
    count = tab.stages - first;
  }
  const size_t shared = 2 * size_t(l.hidden) * sizeof(Real);
  CUCNF_LAUNCH("hyper_forward_kernel", hyper_forward_kernel<Real>, count, kHyperThreads, shared,
               stream, b, l, tab, mode, first);
}

template <class Real>
void launch_hyper_backward(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                           const Tableau& tab, StageMode mode, int stage, cudaStream_t stream) {
  const size_t shared = 2 * size_t(l.hidden) * sizeof(Real);
  CUCNF_LAUNCH("hyper_backward_kernel", hyper_backward_kernel<Real>, 1, kHyperThreads, shared,
               stream, b, l, tab, mode, stage, d.warps, size_t(0));
}

template <class Real>
void launch_hyper_backward_attempt(const SolveBuffers<Real>& b, const SolveDims& d,
                                   const ParamLayout& l, const Tableau& tab, cudaStream_t stream) {
  const int first = tab.fsal ? 1 : 0;
  const size_t shared = 2 * size_t(l.hidden) * sizeof(Real);
  const size_t stage_stride = size_t(d.attempt_blocks) * param_partials_stride(l);
  CUCNF_LAUNCH("hyper_backward_kernel", hyper_backward_kernel<Real>, tab.stages - first,
               kHyperThreads, shared, stream, b, l, tab, StageMode::attempt, first,
               d.attempt_blocks, stage_stride);
}

template void launch_hyper_forward<float>(const SolveBuffers<float>&, const ParamLayout&,
                                          const Tableau&, StageMode, cudaStream_t);
template void launch_hyper_forward<double>(const SolveBuffers<double>&, const ParamLayout&,
                                           const Tableau&, StageMode, cudaStream_t);
template void launch_hyper_backward<float>(const SolveBuffers<float>&, const SolveDims&,
                                           const ParamLayout&, const Tableau&, StageMode, int,
                                           cudaStream_t);
template void launch_hyper_backward<double>(const SolveBuffers<double>&, const SolveDims&,
                                            const ParamLayout&, const Tableau&, StageMode, int,
                                            cudaStream_t);
template void launch_hyper_backward_attempt<float>(const SolveBuffers<float>&, const SolveDims&,
                                                   const ParamLayout&, const Tableau&,
                                                   cudaStream_t);
template void launch_hyper_backward_attempt<double>(const SolveBuffers<double>&, const SolveDims&,
                                                    const ParamLayout&, const Tableau&,
                                                    cudaStream_t);

}  // namespace cucnf::detail
