// Launchers of the device-array API's kernels (host/cuda/cuda_device_arrays.cpp): caller-owned
// arrays of float or double (T) into and out of a solve's CNF state, which holds per sample
// [z (D), l] in the Flow's precision (Real). One thread per sample or value; no launcher
// synchronises.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace cucnf::detail {

/// state[i] = [x_i, 0] for n points x (n x dim).
template <class T, class Real>
void launch_points_to_state(const T* x, Real* state, int n, int dim, cudaStream_t stream);

/// From a density solve's end state [z0, l0]: log_prob = log N(z0; 0, variance I) - l0, and z0
/// and delta_logp = l0 where those are not null.
template <class T, class Real>
void launch_density_outputs(const Real* state, int n, int dim, double variance, T* log_prob, T* z0,
                            T* delta_logp, cudaStream_t stream);

/// Flow::sample's base draws (core/base_density.hpp, BaseDraw) into a state [z0, 0]; z0 into
/// `z0` and log N(z0; 0, variance I) into `log_base` where those are not null.
template <class T, class Real>
void launch_base_draws(Real* state, int n, int dim, double variance, std::uint64_t seed, T* z0,
                       T* log_base, cudaStream_t stream);

/// From a sampling solve's end state [x, l1]: x, and log_prob += l1 where log_prob is not null
/// (it holds log N(z0) from launch_base_draws).
template <class T, class Real>
void launch_sample_outputs(const Real* state, int n, int dim, T* x, T* log_prob,
                           cudaStream_t stream);

/// grad_out = grad (count values), and *loss = *loss_sum / n where loss is not null.
template <class T, class Real>
void launch_gradient_outputs(const Real* grad, int count, const double* loss_sum, int n,
                             T* grad_out, T* loss, cudaStream_t stream);

}  // namespace cucnf::detail
