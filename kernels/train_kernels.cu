// Training kernels: rings batches drawn on the device, the non-finite check, Adam.
#include <cuda_runtime.h>

#include "core/rings_data.hpp"
#include "cuda_check.hpp"
#include "launch.cuh"
#include "train_kernels.hpp"

namespace cucnf::detail {
namespace {

constexpr int kThreads = 256;

int blocks_for(int count) {
  return (count + kThreads - 1) / kThreads;
}

// rings_batch_kernel: point i of the rings distribution (core/rings_data.hpp), the same
// numbers the CPU draws. Mapping: one thread per point.
template <class Real>
__global__ void rings_batch_kernel(Real* state, int n, std::uint64_t seed, std::uint64_t stream) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  double x, y;
  rings_point(seed, stream, std::uint64_t(n), std::uint64_t(i), x, y);
  state[3 * size_t(i)] = Real(x);
  state[3 * size_t(i) + 1] = Real(y);
  state[3 * size_t(i) + 2] = Real(0);
}

// count_non_finite_kernel: *flag += number of NaN/Inf in v. Mapping: one thread per value; the
// count's order does not matter, so an atomic add is fine.
template <class Real>
__global__ void count_non_finite_kernel(const Real* v, int count, unsigned int* flag) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < count && !isfinite(v[i])) atomicAdd(flag, 1u);
}

// adam_kernel: torch.optim.Adam's update per parameter (core/adam.hpp). One thread each.
template <class Real>
__global__ void adam_kernel(Real* theta, Real* m, Real* v, const Real* grad, int count,
                            AdamStep step) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < count) adam_update(theta[i], m[i], v[i], grad[i], step);
}

}  // namespace

template <class Real>
void launch_rings_batch(Real* state, int n, std::uint64_t seed, std::uint64_t stream,
                        cudaStream_t cuda_stream) {
  CUCNF_LAUNCH("rings_batch_kernel", rings_batch_kernel<Real>, blocks_for(n), kThreads, 0,
               cuda_stream, state, n, seed, stream);
}

template <class Real>
void launch_count_non_finite(const Real* v, int count, unsigned int* flag, cudaStream_t stream) {
  CUCNF_LAUNCH("count_non_finite_kernel", count_non_finite_kernel<Real>, blocks_for(count),
               kThreads, 0, stream, v, count, flag);
}

template <class Real>
void launch_adam(Real* theta, Real* m, Real* v, const Real* grad, int count, const AdamStep& step,
                 cudaStream_t stream) {
  CUCNF_LAUNCH("adam_kernel", adam_kernel<Real>, blocks_for(count), kThreads, 0, stream, theta, m,
               v, grad, count, step);
}

#define CUCNF_INSTANTIATE(Real)                                                                   \
  template void launch_rings_batch<Real>(Real*, int, std::uint64_t, std::uint64_t, cudaStream_t); \
  template void launch_count_non_finite<Real>(const Real*, int, unsigned int*, cudaStream_t);     \
  template void launch_adam<Real>(Real*, Real*, Real*, const Real*, int, const AdamStep&,         \
                                  cudaStream_t);
CUCNF_INSTANTIATE(float)
CUCNF_INSTANTIATE(double)
#undef CUCNF_INSTANTIATE

}  // namespace cucnf::detail
