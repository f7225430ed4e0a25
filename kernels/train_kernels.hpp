// Launchers of the training kernels: rings batches, the non-finite check and Adam.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/adam.hpp"

namespace cucnf::detail {

/// Writes n rings points into a CNF state buffer (per sample [x, y, l = 0]).
template <class Real>
void launch_rings_batch(Real* state, int n, std::uint64_t seed, std::uint64_t stream,
                        cudaStream_t cuda_stream);

/// Counts the non-finite values of v[0..count) into *flag (which must start at 0).
template <class Real>
void launch_count_non_finite(const Real* v, int count, unsigned int* flag, cudaStream_t stream);

/// One Adam step over count parameters.
template <class Real>
void launch_adam(Real* theta, Real* m, Real* v, const Real* grad, int count, const AdamStep& step,
                 cudaStream_t stream);

}  // namespace cucnf::detail
