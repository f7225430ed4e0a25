// SolveWorkspace<Real>: the device memory of one kind of solve (density or adjoint), grown on
// demand and reused by the next solve of the same or a smaller shape.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "core/param_layout.hpp"
#include "core/step_control.hpp"
#include "core/tableau.hpp"
#include "cuda/attempt_graphs.hpp"
#include "cuda/device_buffer.hpp"
#include "rk_kernels.hpp"

namespace cucnf::detail {

template <class Real>
struct SolveWorkspace {
  DeviceBuffer<StepControl> ctl;
  DeviceBuffer<Real> y[2], k, stage_params, hyper_cache, outputs;
  DeviceBuffer<double> err_partials, fin_partials;
  DeviceBuffer<unsigned int> done;
  DeviceBuffer<Real> theta[2], k_theta, param_partials, reduced, gp;
  /// Batches of step attempts captured as CUDA graphs on these buffers (recaptured when the
  /// buffers or the solve's constants change).
  AttemptGraphs graphs;

  /// Grows the buffers for a solve of shape `d` (with the adjoint's when d.adjoint) and room for
  /// `output_count` saved states, poisoning new memory on `stream` (the solve's); returns their
  /// device pointers, reading `model_theta`.
  SolveBuffers<Real> prepare(const SolveDims& d, const ParamLayout& l, const Tableau& tab,
                             std::size_t output_count, const Real* model_theta,
                             cudaStream_t stream);
};

extern template struct SolveWorkspace<float>;
extern template struct SolveWorkspace<double>;

}  // namespace cucnf::detail
