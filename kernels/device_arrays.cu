// The device-array API's kernels: caller-owned float or double arrays into and out of a CNF
// state (see device_arrays.hpp). Mapping: one thread per sample (per value for the gradient);
// each only converts and rearranges, so memory bandwidth bounds them.
#include <cuda_runtime.h>

#include <cmath>

#include "core/base_density.hpp"
#include "cuda_check.hpp"
#include "device_arrays.hpp"
#include "launch.cuh"

namespace cucnf::detail {
namespace {

constexpr int kThreads = 256;

int blocks_for(int count) {
  return (count + kThreads - 1) / kThreads;
}

template <class T, class Real>
__global__ void points_to_state_kernel(const T* x, Real* state, int n, int dim) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const T* src = x + size_t(i) * dim;
  Real* dst = state + size_t(i) * (dim + 1);
  for (int j = 0; j < dim; ++j) dst[j] = Real(src[j]);
  dst[dim] = Real(0);
}

template <class T, class Real>
__global__ void density_outputs_kernel(const Real* state, int n, int dim, double variance,
                                       T* log_prob, T* z0, T* delta_logp) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const Real* src = state + size_t(i) * (dim + 1);
  const double l0 = double(src[dim]);
  log_prob[i] = T(base_log_density(src, dim, variance) - l0);
  if (delta_logp) delta_logp[i] = T(l0);
  if (z0)
    for (int j = 0; j < dim; ++j) z0[size_t(i) * dim + j] = T(src[j]);
}

template <class T, class Real>
__global__ void base_draws_kernel(Real* state, int n, int dim, double variance, std::uint64_t seed,
                                  T* z0, T* log_base) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const BaseDraw draw{seed, std::uint64_t(i), dim, sqrt(variance)};
  Real* dst = state + size_t(i) * (dim + 1);
  for (int j = 0; j < dim; ++j) {
    const double v = draw[j];
    dst[j] = Real(v);
    if (z0) z0[size_t(i) * dim + j] = T(v);
  }
  dst[dim] = Real(0);
  if (log_base) log_base[i] = T(base_log_density(draw, dim, variance));
}

template <class T, class Real>
__global__ void sample_outputs_kernel(const Real* state, int n, int dim, T* x, T* log_prob) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const Real* src = state + size_t(i) * (dim + 1);
  for (int j = 0; j < dim; ++j) x[size_t(i) * dim + j] = T(src[j]);
  if (log_prob) log_prob[i] = T(double(log_prob[i]) + double(src[dim]));
}

template <class T, class Real>
__global__ void gradient_outputs_kernel(const Real* grad, int count, const double* loss_sum, int n,
                                        T* grad_out, T* loss) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < count) grad_out[i] = T(grad[i]);
  if (i == 0 && loss) *loss = T(*loss_sum / double(n));
}

}  // namespace

template <class T, class Real>
void launch_points_to_state(const T* x, Real* state, int n, int dim, cudaStream_t stream) {
  CUCNF_LAUNCH("points_to_state_kernel", (points_to_state_kernel<T, Real>), blocks_for(n), kThreads,
               0, stream, x, state, n, dim);
}

template <class T, class Real>
void launch_density_outputs(const Real* state, int n, int dim, double variance, T* log_prob, T* z0,
                            T* delta_logp, cudaStream_t stream) {
  CUCNF_LAUNCH("density_outputs_kernel", (density_outputs_kernel<T, Real>), blocks_for(n), kThreads,
               0, stream, state, n, dim, variance, log_prob, z0, delta_logp);
}

template <class T, class Real>
void launch_base_draws(Real* state, int n, int dim, double variance, std::uint64_t seed, T* z0,
                       T* log_base, cudaStream_t stream) {
  CUCNF_LAUNCH("base_draws_kernel", (base_draws_kernel<T, Real>), blocks_for(n), kThreads, 0,
               stream, state, n, dim, variance, seed, z0, log_base);
}

template <class T, class Real>
void launch_sample_outputs(const Real* state, int n, int dim, T* x, T* log_prob,
                           cudaStream_t stream) {
  CUCNF_LAUNCH("sample_outputs_kernel", (sample_outputs_kernel<T, Real>), blocks_for(n), kThreads,
               0, stream, state, n, dim, x, log_prob);
}

template <class T, class Real>
void launch_gradient_outputs(const Real* grad, int count, const double* loss_sum, int n,
                             T* grad_out, T* loss, cudaStream_t stream) {
  CUCNF_LAUNCH("gradient_outputs_kernel", (gradient_outputs_kernel<T, Real>), blocks_for(count),
               kThreads, 0, stream, grad, count, loss_sum, n, grad_out, loss);
}

#define CUCNF_INSTANTIATE(T, Real)                                                             \
  template void launch_points_to_state<T, Real>(const T*, Real*, int, int, cudaStream_t);      \
  template void launch_density_outputs<T, Real>(const Real*, int, int, double, T*, T*, T*,     \
                                                cudaStream_t);                                 \
  template void launch_base_draws<T, Real>(Real*, int, int, double, std::uint64_t, T*, T*,     \
                                           cudaStream_t);                                      \
  template void launch_sample_outputs<T, Real>(const Real*, int, int, T*, T*, cudaStream_t);   \
  template void launch_gradient_outputs<T, Real>(const Real*, int, const double*, int, T*, T*, \
                                                 cudaStream_t);
CUCNF_INSTANTIATE(float, float)
CUCNF_INSTANTIATE(float, double)
CUCNF_INSTANTIATE(double, float)
CUCNF_INSTANTIATE(double, double)
#undef CUCNF_INSTANTIATE

}  // namespace cucnf::detail
