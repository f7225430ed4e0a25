// The end of a step attempt on the device, shared by the kernels that finish one: the error
// norm from the batch's summed squares, then the controller update, and the "last block"
// hand-off that lets a multi-block kernel finish the attempt without another launch.
#pragma once

#include <cuda_runtime.h>

#include "core/step_control.hpp"
#include "core/tableau.hpp"
#include "rk_kernels.hpp"

namespace cucnf::detail {

/// Offsets of the parameter tensors in theta, and the end.
__device__ __forceinline__ int theta_tensor_begin(const ParamLayout& l, int t) {
  switch (t) {
    case 0:
      return l.fc1_w;
    case 1:
      return l.fc1_b;
    case 2:
      return l.fc2_w;
    case 3:
      return l.fc2_b;
    case 4:
      return l.fc3_w;
    case 5:
      return l.fc3_b;
    default:
      return l.total;
  }
}

/// Max over the norm's parts of the RMS; a NaN part makes the norm NaN (never hidden).
/// `second` picks the start-of-solve derivative sums (sums[2], sums[3] and the tensors' odd
/// entries) instead of the state's.
__device__ inline double rms_max(const double* sums, const SolveDims& d, const ParamLayout& l,
                                 bool theta_norm, bool second) {
  const double count0 = double(d.n) * d.part0, count1 = double(d.n) * (d.elems - d.part0);
  double norm = 0.0;
  auto take = [&norm](double r) { norm = (isnan(r) || isnan(norm)) ? NAN : fmax(norm, r); };
  take(sqrt(sums[second ? 2 : 0] / count0));
  take(sqrt(sums[second ? 3 : 1] / count1));
  if (theta_norm) {
    for (int t = 0; t < kThetaTensors; ++t) {
      const int count = theta_tensor_begin(l, t + 1) - theta_tensor_begin(l, t);
      take(sqrt(sums[4 + 2 * t + (second ? 1 : 0)] / count));
    }
  }
  return norm;
}

/// The controller after an evaluation finished with the summed squares `sums`: accept/reject
/// and the next h (attempt), or a half of Hairer's first step (initial, probe).
__device__ inline StepControl finished_control(StepControl c, const double* sums,
                                               const SolveDims& d, const ParamLayout& l,
                                               const Tableau& tab, const ControlParams& p,
                                               StageMode mode, bool hairer, bool theta_norm) {
  if (mode == StageMode::attempt) {
    control_update(c, p, rms_max(sums, d, l, theta_norm, false));
  } else if (mode == StageMode::initial) {
    c.nfe += 1;
    if (hairer) {
      hairer_begin(c, rms_max(sums, d, l, theta_norm, false),
                   rms_max(sums, d, l, theta_norm, true));
    } else {
      check_next_attempt(c);
    }
  } else {
    c.nfe += 1;
    hairer_end(c, rms_max(sums, d, l, theta_norm, false), tab.order);
  }
  return c;
}

/// Called by every thread of every block after the block's results are written: true in the one
/// block that finishes last, which then sees every other block's writes. That block resets the
/// counter for the next launch. Blocks finish in any order; what the last block does with the
/// others' results must not depend on which block it is (sum their slots in a fixed order).
__device__ inline bool is_last_block(unsigned int* counter) {
  __shared__ bool last;
  __threadfence();  // this block's results, before its ticket
  __syncthreads();
  if (threadIdx.x == 0) {
    const unsigned int ticket = atomicAdd(counter, 1u);
    last = ticket == gridDim.x - 1;
    if (last) *counter = 0;
  }
  __syncthreads();
  if (last) __threadfence();  // the other blocks' results, after their tickets
  return last;
}

}  // namespace cucnf::detail
