// The start of the continuous adjoint: the augmented state at t0 and the loss.
#include <cuda_runtime.h>

#include <cub/device/device_reduce.cuh>

#include "adjoint_init.hpp"
#include "cuda_check.hpp"
#include "launch.cuh"

namespace cucnf::detail {
namespace {

// adjoint_init_kernel
//   From the density solve's end state [z0, l0] per sample:
//   [z, l, a_z, a_l] = [z0, l0, z0 / (N s^2), 1/N]   (a = dL/d[z, l] for L = -mean log p)
//   nll_n = -(log N(z0; 0, s^2 I) - l0)
// Mapping: one thread per sample.
template <class Real>
__global__ void adjoint_init_kernel(const Real* y_forward, Real* y_adjoint, double* nll, int n,
                                    int dim, double variance) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const Real* src = y_forward + size_t(i) * (dim + 1);
  Real* dst = y_adjoint + size_t(i) * (2 * dim + 2);
  const Real scale = Real(1.0 / (double(n) * variance));
  double sq = 0.0;
  for (int j = 0; j < dim; ++j) {
    const Real z = src[j];
    dst[j] = z;
    dst[dim + 1 + j] = z * scale;
    sq += double(z) * double(z);
  }
  dst[dim] = src[dim];
  dst[2 * dim + 1] = Real(1.0 / double(n));
  const double log_base =
      -0.5 * sq / variance - 0.5 * dim * (log(2.0 * 3.14159265358979323846) + log(variance));
  nll[i] = -(log_base - double(src[dim]));
}

}  // namespace

template <class Real>
void launch_adjoint_init(const Real* y_forward, Real* y_adjoint, double* nll, int n, int dim,
                         double variance, cudaStream_t stream) {
  constexpr int kThreads = 256;
  CUCNF_LAUNCH("adjoint_init_kernel", adjoint_init_kernel<Real>, (n + kThreads - 1) / kThreads,
               kThreads, 0, stream, y_forward, y_adjoint, nll, n, dim, variance);
}

size_t sum_scratch_bytes(int n) {
  size_t bytes = 0;
  CUCNF_CUDA_CHECK(cub::DeviceReduce::Sum(nullptr, bytes, static_cast<const double*>(nullptr),
                                          static_cast<double*>(nullptr), n));
  return bytes;
}

void launch_sum(const double* in, double* out, int n, void* scratch, size_t scratch_bytes,
                cudaStream_t stream) {
  CUCNF_CUDA_CHECK(cub::DeviceReduce::Sum(scratch, scratch_bytes, in, out, n, stream));
}

template void launch_adjoint_init<float>(const float*, float*, double*, int, int, double,
                                         cudaStream_t);
template void launch_adjoint_init<double>(const double*, double*, double*, int, int, double,
                                          cudaStream_t);

}  // namespace cucnf::detail
