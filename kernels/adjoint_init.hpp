// Launchers for the start of the continuous adjoint (see adjoint_init.cu).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

namespace cucnf::detail {

/// Writes the augmented state [z0, l0, z0/(n s^2), 1/n] per sample from the density solve's end
/// state, and each sample's negative log-likelihood into nll (n doubles).
template <class Real>
void launch_adjoint_init(const Real* y_forward, Real* y_adjoint, double* nll, int n, int dim,
                         double variance, cudaStream_t stream);

/// Scratch bytes of launch_sum for n values (ask once, keep the scratch).
size_t sum_scratch_bytes(int n);
/// out[0] = sum of in[0..n) by cub::DeviceReduce::Sum (deterministic on a given device).
void launch_sum(const double* in, double* out, int n, void* scratch, size_t scratch_bytes,
                cudaStream_t stream);

}  // namespace cucnf::detail
