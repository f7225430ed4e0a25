// Device-resident timings of the CUDA backend, for cucnf-bench: operations whose inputs are
// drawn on the device, timed by CUDA events recorded on the backend's own stream.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend.hpp"

namespace cucnf::detail {

class CudaTimings {
 public:
  virtual ~CudaTimings() = default;

  struct Timed {
    double milliseconds = 0.0;
    SolveStats forward;
    SolveStats backward;
    double loss = 0.0;
  };

  /// Density solve (t1 -> t0) of n rings points drawn on the device; the events bracket the
  /// integration (start of the solve to the end of its last step), not the data's creation.
  virtual Timed timed_log_density(std::size_t n, std::uint64_t seed, const SolverOptions& options,
                                  const FlowSpec& spec) = 0;
  /// One training step as the Trainer runs it (rings batch on the device, forward solve,
  /// adjoint, loss read-back, Adam), between events.
  virtual Timed timed_train_step(const TrainStepRequest& request, const FlowSpec& spec) = 0;
  /// One stage evaluation (stage input, field, exact trace) at n samples, in milliseconds:
  /// `launches` dopri5 attempts back to back (hyper_forward and the whole-attempt kernel, each
  /// rejected so the work repeats) divided by their stages; where the whole-attempt kernel
  /// does not serve, `launches` launches of the stage kernel's second stage.
  virtual double timed_stage_kernel(std::size_t n, int launches) = 0;
  /// The name of the device and the precision, e.g. "NVIDIA H100 80GB HBM3 (CUDA sm_90, float32)".
  virtual std::string timing_device() const = 0;
};

/// The timing interface of a backend, or nullptr when it is not a CUDA backend.
CudaTimings* cuda_timings(Backend& backend);

}  // namespace cucnf::detail
