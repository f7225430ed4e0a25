// GradientCheck: what a training step must know about a gradient before it applies it — the
// summed loss and whether any entry is not finite — read back with a poll the host makes anyway
// (the continuous adjoint's last one), so that the check costs no synchronisation of its own.
#pragma once

#include <cuda_runtime_api.h>

namespace cucnf::detail {

/// Page-locked: the host reads it after the synchronisation that follows enqueue_gradient_check.
struct GradientCheck {
  double loss_sum = 0.0;                ///< sum of the per-sample losses
  unsigned int non_finite[2] = {0, 0};  ///< non-finite entries of each candidate gradient
};

/// Enqueues on `stream`: counts the non-finite entries of grads[i] (i < candidates, at most 2:
/// the continuous adjoint's two a_theta buffers, only one of which the poll will name) into
/// flags[i] (device memory, `candidates` entries), then copies the counts and *loss_sum (device)
/// into *host. The host may read *host once the stream is synchronised.
template <class Real>
void enqueue_gradient_check(const Real* const* grads, int candidates, int count,
                            const double* loss_sum, unsigned int* flags, GradientCheck* host,
                            cudaStream_t stream);

}  // namespace cucnf::detail
