// Small device helpers shared by the kernels.
#pragma once

#include <cuda_runtime.h>

#include "core/step_control.hpp"
#include "rk_kernels.hpp"

namespace cucnf::detail {

constexpr int kWarp = 32;

template <class Real>
__device__ __forceinline__ Real warp_sum(Real v) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__device__ __forceinline__ float tanh_real(float x) {
  return tanhf(x);
}
__device__ __forceinline__ double tanh_real(double x) {
  return tanh(x);
}
__device__ __forceinline__ float exp_real(float x) {
  return expf(x);
}
__device__ __forceinline__ double exp_real(double x) {
  return exp(x);
}

/// Copies the controller into shared memory once per block (thread 0 loads, all wait).
__device__ __forceinline__ void load_control(const StepControl* global, StepControl& shared) {
  if (threadIdx.x == 0) shared = *global;
  __syncthreads();
}

/// Index of the parameter set (and stage time) a kernel works on: the stage of an attempt or of
/// a VJP, 0 for the initial evaluation, 1 for Hairer's probe.
__device__ __forceinline__ int param_index(StageMode mode, int stage) {
  switch (mode) {
    case StageMode::initial:
      return 0;
    case StageMode::probe:
      return 1;
    case StageMode::attempt:
    case StageMode::vjp:
      break;
  }
  return stage;
}

/// Buffer slot that receives the derivative of this evaluation.
__device__ __forceinline__ int output_slot(StageMode mode, int stage, int stages, int k0_slot) {
  if (mode == StageMode::attempt) return stage_slot(stage, stages, k0_slot);
  return mode == StageMode::probe ? 1 : 0;  // initial and vjp: slot 0
}

}  // namespace cucnf::detail
