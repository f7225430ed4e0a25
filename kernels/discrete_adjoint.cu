// The exact discrete adjoint on the device: recording the accepted steps of a forward solve,
// and the element-wise pieces of backpropagating through them (the field VJPs themselves run in
// stage_kernel's vjp mode and hyper_backward).
#include <cuda_runtime.h>

#include "cuda_check.hpp"
#include "discrete_adjoint.hpp"
#include "launch.cuh"

namespace cucnf::detail {
namespace {

constexpr int kThreads = 256;

int blocks_for(long long count) {
  return int((count + kThreads - 1) / kThreads);
}

// record_step_kernel: slot = accepted - 1 gets y[buf ^ 1] (the accepted step's start state, the
// buffers having flipped), fsal[buf ^ 1] and (last_t, t). Mapping: one thread per state value.
// A slot past the record's capacity (the host grows it before each attempt, so never in a
// correct run) stops the solve with kRecordFull, which the host's next poll reports.
template <class Real>
__global__ void record_step_kernel(StepControl* ctl, Real* y0, Real* y1, Real* f0, Real* f1,
                                   StepRecord<Real> record, long long state) {
  const StepControl c = *ctl;
  if (!c.last_accepted) return;
  const long long slot = c.accepted - 1;
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (slot < 0 || slot >= record.capacity) {  // the same for every thread of the launch
    __syncthreads();  // the block's threads have read the controller before thread 0 writes it
    if (i == 0) ctl->status = kRecordFull;
    return;
  }
  const Real* y = c.buf ? y0 : y1;
  if (i < state) {
    record.y[slot * state + i] = y[i];
    if (record.fsal) record.fsal[slot * state + i] = (c.buf ? f0 : f1)[i];
  }
  if (i == 0) {
    record.times[2 * slot] = c.last_t;
    record.times[2 * slot + 1] = c.t;
  }
}

// pack_cotangent_kernel: [Y_s | kbar_s] per sample, kbar_s = dt b_s ybar + sum_{r>s} dt a_rs
// Ybar_r. Mapping: one thread per (sample, value) of the D+1-wide state.
template <class Real>
__global__ void pack_cotangent_kernel(const Real* stage_input, const Real* y_bar,
                                      const Real* stage_bars, Tableau tab, double dt, int stage,
                                      int n, int elems, Real* packed) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  const long long count = (long long)n * elems;
  if (i >= count) return;
  const long long sample = i / elems, e = i % elems;
  double kbar = dt * tab.b[stage] * double(y_bar[i]);
  for (int r = stage + 1; r < tab.stages; ++r)
    if (tab.a[r][stage] != 0.0) kbar += dt * tab.a[r][stage] * double(stage_bars[r * count + i]);
  packed[sample * 2 * elems + e] = stage_input[i];
  packed[sample * 2 * elems + elems + e] = Real(kbar);
}

// unpack_vjp_kernel: Ybar_s = [-(a_z derivative), 0] + pbar. Mapping: one thread per value.
template <class Real>
__global__ void unpack_vjp_kernel(const Real* vjp_out, const Real* p_bar, int n, int elems,
                                  Real* stage_bar) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= (long long)n * elems) return;
  const long long sample = i / elems, e = i % elems;
  Real v = e < elems - 1 ? -vjp_out[sample * 2 * elems + elems + e] : Real(0);
  if (p_bar) v += p_bar[i];
  stage_bar[i] = v;
}

template <class Real>
__global__ void subtract_kernel(Real* grad, const Real* k_theta, int count) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < count) grad[i] -= k_theta[i];
}

// step_back_kernel: the cotangent of the step's start state (and of its FSAL point).
template <class Real>
__global__ void step_back_kernel(Real* y_bar, Real* p_bar, const Real* stage_bars, int stages,
                                 bool carry_fsal, long long count) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= count) return;
  Real v = y_bar[i];
  for (int s = 1; s < stages; ++s) v += stage_bars[s * count + i];
  if (carry_fsal) {
    p_bar[i] = stage_bars[i];
  } else {
    v += stage_bars[i];
    p_bar[i] = 0;
  }
  y_bar[i] = v;
}

// discrete_init_kernel: dL/d[z0, l0] = [z0 / (n s^2), 1/n] and the per-sample loss.
template <class Real>
__global__ void discrete_init_kernel(const Real* y_end, Real* y_bar, double* nll, int n, int dim,
                                     double variance) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const Real* src = y_end + size_t(i) * (dim + 1);
  Real* dst = y_bar + size_t(i) * (dim + 1);
  double sq = 0.0;
  for (int j = 0; j < dim; ++j) {
    sq += double(src[j]) * double(src[j]);
    dst[j] = Real(double(src[j]) / (double(n) * variance));
  }
  dst[dim] = Real(1.0 / double(n));
  const double log_base =
      -0.5 * sq / variance - 0.5 * dim * (log(2.0 * 3.14159265358979323846) + log(variance));
  nll[i] = -(log_base - double(src[dim]));
}

}  // namespace

template <class Real>
void launch_record_step(StepControl* ctl, Real* const y[2], Real* const fsal[2],
                        const StepRecord<Real>& record, long long state, cudaStream_t stream) {
  CUCNF_LAUNCH("record_step_kernel", record_step_kernel<Real>, blocks_for(state), kThreads, 0,
               stream, ctl, y[0], y[1], fsal[0], fsal[1], record, state);
}

template <class Real>
void launch_pack_cotangent(const Real* stage_input, const Real* y_bar, const Real* stage_bars,
                           const Tableau& tab, double dt, int stage, int n, int elems, Real* packed,
                           cudaStream_t stream) {
  CUCNF_LAUNCH("pack_cotangent_kernel", pack_cotangent_kernel<Real>,
               blocks_for((long long)n * elems), kThreads, 0, stream, stage_input, y_bar,
               stage_bars, tab, dt, stage, n, elems, packed);
}

template <class Real>
void launch_unpack_vjp(const Real* vjp_out, const Real* p_bar, int n, int elems, Real* stage_bar,
                       cudaStream_t stream) {
  CUCNF_LAUNCH("unpack_vjp_kernel", unpack_vjp_kernel<Real>, blocks_for((long long)n * elems),
               kThreads, 0, stream, vjp_out, p_bar, n, elems, stage_bar);
}

template <class Real>
void launch_subtract(Real* grad, const Real* k_theta, int count, cudaStream_t stream) {
  CUCNF_LAUNCH("subtract_kernel", subtract_kernel<Real>, blocks_for(count), kThreads, 0, stream,
               grad, k_theta, count);
}

template <class Real>
void launch_step_back(Real* y_bar, Real* p_bar, const Real* stage_bars, int stages, bool carry_fsal,
                      long long count, cudaStream_t stream) {
  CUCNF_LAUNCH("step_back_kernel", step_back_kernel<Real>, blocks_for(count), kThreads, 0, stream,
               y_bar, p_bar, stage_bars, stages, carry_fsal, count);
}

template <class Real>
void launch_discrete_init(const Real* y_end, Real* y_bar, double* nll, int n, int dim,
                          double variance, cudaStream_t stream) {
  CUCNF_LAUNCH("discrete_init_kernel", discrete_init_kernel<Real>, blocks_for(n), kThreads, 0,
               stream, y_end, y_bar, nll, n, dim, variance);
}

#define CUCNF_INSTANTIATE(Real)                                                                    \
  template void launch_record_step<Real>(StepControl*, Real* const[2], Real* const[2],             \
                                         const StepRecord<Real>&, long long, cudaStream_t);        \
  template void launch_pack_cotangent<Real>(const Real*, const Real*, const Real*, const Tableau&, \
                                            double, int, int, int, Real*, cudaStream_t);           \
  template void launch_unpack_vjp<Real>(const Real*, const Real*, int, int, Real*, cudaStream_t);  \
  template void launch_subtract<Real>(Real*, const Real*, int, cudaStream_t);                      \
  template void launch_step_back<Real>(Real*, Real*, const Real*, int, bool, long long,            \
                                       cudaStream_t);                                              \
  template void launch_discrete_init<Real>(const Real*, Real*, double*, int, int, double,          \
                                           cudaStream_t);
CUCNF_INSTANTIATE(float)
CUCNF_INSTANTIATE(double)
#undef CUCNF_INSTANTIATE

}  // namespace cucnf::detail
