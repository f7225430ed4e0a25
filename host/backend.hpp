// The interface a Flow drives: one implementation per device (CPU and CUDA, float32 or float64).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cucnf/device.hpp"
#include "cucnf/device_arrays.hpp"
#include "cucnf/gradient.hpp"
#include "cucnf/model.hpp"
#include "cucnf/solver.hpp"
#include "cucnf/train.hpp"

namespace cucnf::detail {

/// What a solve needs to know of a model besides its parameters.
struct FlowSpec {
  double t0;
  double t1;
  double base_variance;
};

/// One training iteration: the gradient on a batch, then an Adam step.
struct TrainStepRequest {
  const double* batch = nullptr;  ///< n x D points on the host, or nullptr: rings drawn by the
                                  ///< backend from (data_seed, data_stream)
  std::size_t n = 0;
  std::uint64_t data_seed = 0;
  std::uint64_t data_stream = 0;
  SolverOptions solver;
  GradientOptions gradient;
  AdamOptions adam;
  std::int64_t adam_step = 1;  ///< t of this update, 1-based
};

struct TrainStepResult {
  double loss = 0.0;
  SolveStats forward;
  SolveStats backward;
};

/// Solves on caller-owned device arrays (Flow's device-array API, cucnf/device_arrays.hpp), in
/// the caller's stream order. The Flow has checked the options and the arrays' presence and
/// counts; the implementation checks what needs the device (memory kinds, the stream).
class DeviceArrayBackend {
 public:
  virtual SolveStats log_prob(const DeviceLogProbArrays<float>& a, const FlowSpec& spec,
                              const SolverOptions& options, CudaStream stream) = 0;
  virtual SolveStats log_prob(const DeviceLogProbArrays<double>& a, const FlowSpec& spec,
                              const SolverOptions& options, CudaStream stream) = 0;
  virtual SolveStats sample(const DeviceSampleArrays<float>& a, const FlowSpec& spec,
                            const SolverOptions& options, CudaStream stream) = 0;
  virtual SolveStats sample(const DeviceSampleArrays<double>& a, const FlowSpec& spec,
                            const SolverOptions& options, CudaStream stream) = 0;
  virtual DeviceGradientStats gradient(const DeviceGradientArrays<float>& a, const FlowSpec& spec,
                                       const SolverOptions& options,
                                       const GradientOptions& gradient_options,
                                       CudaStream stream) = 0;
  virtual DeviceGradientStats gradient(const DeviceGradientArrays<double>& a, const FlowSpec& spec,
                                       const SolverOptions& options,
                                       const GradientOptions& gradient_options,
                                       CudaStream stream) = 0;

 protected:
  ~DeviceArrayBackend() = default;
};

class Backend {
 public:
  virtual ~Backend() = default;
  /// The device-array solves, or nullptr when the backend cannot take device arrays (the CPU).
  virtual DeviceArrayBackend* device_arrays() { return nullptr; }
  virtual std::string description() const = 0;
  virtual void set_params(const std::vector<double>& params) = 0;

  /// Integrates [z, l] from times[0] (z = z_start, n x D; l = 0) through every later time;
  /// writes z at times[i] into out_z + (i-1) n D and l into out_l + (i-1) n.
  virtual SolveStats solve(const double* z_start, std::size_t n, const std::vector<double>& times,
                           const SolverOptions& options, double* out_z, double* out_l,
                           const std::string& label) = 0;

  /// L = -mean log p(x) and dL/dtheta for n points x (n x D).
  virtual GradientResult gradient(const double* x, std::size_t n, const FlowSpec& spec,
                                  const SolverOptions& options,
                                  const GradientOptions& gradient_options) = 0;

  /// Computes the loss and gradient of a batch; if both are finite, applies one Adam step to
  /// the backend's parameters and moments, else throws Error(non_finite_state) and changes
  /// nothing.
  virtual TrainStepResult train_step(const TrainStepRequest& request, const FlowSpec& spec) = 0;
  /// The current parameters (the backend's copy, which training updates).
  virtual std::vector<double> params() = 0;
  virtual AdamState adam_state() = 0;
  virtual void set_adam_state(const AdamState& state) = 0;
};

/// Throws Error(invalid_argument) for an Adjoint outside the enum or adjoint tolerances that are
/// negative or not finite.
void validate_gradient_options(const GradientOptions& options);

/// Throws Error(non_finite_state) when the loss is not finite.
void check_finite_loss(double loss);
/// Throws Error(non_finite_state) naming the first non-finite loss or gradient entry.
void check_finite_gradient(double loss, const std::vector<double>& grad, const ModelShape& shape);

/// The number of points in a row-major N x dim array, after checking it is non-empty, a
/// multiple of dim and finite; `what` names the array in the Error(invalid_argument).
std::size_t count_points(const std::vector<double>& points, int dim, const std::string& what);

/// The backend of a resolved device (Device::cpu or Device::cuda).
std::unique_ptr<Backend> make_backend(Device resolved, const ModelShape& shape,
                                      const std::vector<double>& params, Precision precision);

std::unique_ptr<Backend> make_cpu_backend(const ModelShape& shape,
                                          const std::vector<double>& params, Precision precision);
/// Throws Error(cuda_unavailable) when the library was built without a usable GPU at hand.
std::unique_ptr<Backend> make_cuda_backend(const ModelShape& shape,
                                           const std::vector<double>& params, Precision precision);

}  // namespace cucnf::detail
