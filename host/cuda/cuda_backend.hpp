// CudaBackend<Real>: the CUDA backend, float32 (or float64) solves whose controller lives on the
// device. Its members are defined by job: the Backend overrides in cuda_backend.cpp, the adjoint
// paths in cuda_adjoint.cpp, the device-array solves in cuda_device_arrays.cpp, the bench-only
// timings in cuda_timings.cpp.
//
// The host enqueues step attempts ahead (see kernels/rk_kernels.hpp) and reads the controller
// back only after batches sized from the last solve of the same kind (cuda/attempt_plan.hpp), so
// a solve like the last one costs one synchronisation per segment. A training step at the seed's
// settings synchronises twice: after the density solve and after the adjoint solve, whose poll
// also reads back the loss and the gradient's non-finite count (cuda/gradient_check.hpp). All
// scratch memory is sized once per solve shape and reused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "backend.hpp"
#include "core/param_layout.hpp"
#include "core/step_control.hpp"
#include "cuda/attempt_plan.hpp"
#include "cuda/cuda_timings.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/event.hpp"
#include "cuda/gradient_check.hpp"
#include "cuda/host_staging.hpp"
#include "cuda/solve_workspace.hpp"
#include "cuda/step_recorder.hpp"
#include "cuda/stream.hpp"
#include "rk_kernels.hpp"

namespace cucnf::detail {

template <class Real>
class CudaBackend final : public Backend, public DeviceArrayBackend, public CudaTimings {
 public:
  CudaBackend(const ModelShape& shape, const std::vector<double>& params);

  std::string description() const override { return description_; }
  void set_params(const std::vector<double>& params) override;
  SolveStats solve(const double* z_start, std::size_t n, const std::vector<double>& times,
                   const SolverOptions& options, double* out_z, double* out_l,
                   const std::string& label) override;
  GradientResult gradient(const double* x, std::size_t n, const FlowSpec& spec,
                          const SolverOptions& options,
                          const GradientOptions& gradient_options) override;
  TrainStepResult train_step(const TrainStepRequest& r, const FlowSpec& spec) override;
  std::vector<double> params() override;
  AdamState adam_state() override;
  void set_adam_state(const AdamState& state) override;
  DeviceArrayBackend* device_arrays() override { return this; }

  // DeviceArrayBackend (cuda_device_arrays.cpp).
  SolveStats log_prob(const DeviceLogProbArrays<float>& a, const FlowSpec& spec,
                      const SolverOptions& options, CudaStream stream) override;
  SolveStats log_prob(const DeviceLogProbArrays<double>& a, const FlowSpec& spec,
                      const SolverOptions& options, CudaStream stream) override;
  SolveStats sample(const DeviceSampleArrays<float>& a, const FlowSpec& spec,
                    const SolverOptions& options, CudaStream stream) override;
  SolveStats sample(const DeviceSampleArrays<double>& a, const FlowSpec& spec,
                    const SolverOptions& options, CudaStream stream) override;
  DeviceGradientStats gradient(const DeviceGradientArrays<float>& a, const FlowSpec& spec,
                               const SolverOptions& options,
                               const GradientOptions& gradient_options, CudaStream stream) override;
  DeviceGradientStats gradient(const DeviceGradientArrays<double>& a, const FlowSpec& spec,
                               const SolverOptions& options,
                               const GradientOptions& gradient_options, CudaStream stream) override;

  // CudaTimings (cuda_timings.cpp).
  Timed timed_log_density(std::size_t n, std::uint64_t seed, const SolverOptions& options,
                          const FlowSpec& spec) override;
  Timed timed_train_step(const TrainStepRequest& request, const FlowSpec& spec) override;
  double timed_stage_kernel(std::size_t n, int launches) override;
  std::string timing_device() const override { return description_; }

 private:
  struct DeviceGradient {
    SolveStats forward, backward;
    const Real* grad;        // on the device, layout of the parameters
    const double* loss_sum;  // on the device: sum of the per-sample losses
  };

  // Prepares the density solve's workspace; the caller fills y[0] with the points.
  SolveBuffers<Real> forward_input(int n, const SolverOptions& options);
  void upload_points(const SolveBuffers<Real>& b, const double* x, std::size_t n);

  // The adjoint paths (cuda_adjoint.cpp). Forward density solve from the points in the CNF
  // workspace's y[0], then the continuous adjoint back from t0 to t1 (or the discrete one).
  // Leave the gradient and the summed loss on the device, and return with check_ holding the
  // summed loss and the gradient's non-finite count (check_.non_finite[0]).
  DeviceGradient device_gradient(int N, const FlowSpec& spec, const SolverOptions& options,
                                 const GradientOptions& gradient_options);
  DeviceGradient discrete_gradient(int N, const FlowSpec& spec, const SolverOptions& options);

  // The device-array solves for either element type (cuda_device_arrays.cpp).
  template <class T>
  SolveStats device_log_prob(const DeviceLogProbArrays<T>& a, const FlowSpec& spec,
                             const SolverOptions& options, CudaStream stream);
  template <class T>
  SolveStats device_sample(const DeviceSampleArrays<T>& a, const FlowSpec& spec,
                           const SolverOptions& options, CudaStream stream);
  template <class T>
  DeviceGradientStats device_arrays_gradient(const DeviceGradientArrays<T>& a, const FlowSpec& spec,
                                             const SolverOptions& options,
                                             const GradientOptions& gradient_options,
                                             CudaStream stream);
  // Throws Error(invalid_argument) when `array` is not device memory of this backend's GPU.
  void check_device_array(const void* array, const char* name) const;

  void ensure_adam_moments();
  std::vector<double> download(const Real* device, std::size_t count);
  void upload(Real* device, const std::vector<double>& values);
  static int checked_count(std::size_t n);

  ModelShape shape_;
  ParamLayout layout_;
  DeviceBuffer<Real> theta_, adam_m_, adam_v_;
  DeviceBuffer<unsigned int> flag_;
  PinnedBuffer<StepControl> pinned_;
  PinnedBuffer<GradientCheck> check_{1};
  AttemptPlans plans_;
  SolveWorkspace<Real> cnf_, adjoint_, replay_;
  // Discrete adjoint.
  StepRecorder<Real> recorder_;
  DeviceBuffer<Real> fsal_[2], stage_inputs_, bars_, grad_;
  DeviceBuffer<StepControl> replay_controls_;
  DeviceBuffer<double> nll_;
  DeviceBuffer<unsigned char> sum_scratch_;
  std::string description_;
  int device_ = 0;  // the GPU the backend was made on
  // The host-vector API's uploads and downloads of points, results and gradients.
  HostStaging staging_;
  // Order the device-array calls with the caller's stream (cuda/caller_stream.hpp).
  Event call_start_, call_end_;
  // Declared last, so destroyed first: its destructor waits for the work still enqueued (the
  // last train_step's Adam update, say) before the buffers above are freed.
  Stream stream_;
};

extern template class CudaBackend<float>;
extern template class CudaBackend<double>;

}  // namespace cucnf::detail
