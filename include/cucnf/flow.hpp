// Flow: log-densities, samples and trajectories of a CNF model on one device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cucnf/device.hpp"
#include "cucnf/device_arrays.hpp"
#include "cucnf/export.hpp"
#include "cucnf/gradient.hpp"
#include "cucnf/model.hpp"
#include "cucnf/solver.hpp"

namespace cucnf {

/// Result of Flow::log_prob for N points of dimension D.
struct LogProbResult {
  std::vector<double> log_prob;    ///< N values: log p(x_n), in nats
  std::vector<double> z0;          ///< N x D row-major: the points carried back to t0
  std::vector<double> delta_logp;  ///< N values: l(t0), the integral of -tr(df/dz) from t1 to t0
  SolveStats stats;
};

/// Result of Flow::sample.
struct SampleResult {
  std::vector<double> x;         ///< N x D row-major samples at t1
  std::vector<double> log_prob;  ///< N values: log p(x_n) = log N(z0; 0, s^2 I) + l(t1)
  std::vector<double> z0;        ///< N x D base draws at t0
  SolveStats stats;
};

/// Result of Flow::trajectory: the state at each requested time.
struct TrajectoryResult {
  std::vector<double> times;       ///< T requested times, as given
  std::vector<double> z;           ///< T x N x D: z(times[i]) for every point
  std::vector<double> delta_logp;  ///< T x N: l(times[i]), with l(times[0]) = 0
  SolveStats stats;
};

/// A model bound to a device, with the scratch memory its solves need.
///
/// Points are N x D row-major float64 arrays; N = size / D (N >= 1). The arithmetic is float32
/// by default on both backends (time stays float64); pass Precision::float64 for the reference.
///
/// Thread-safety: a Flow owns scratch buffers and is not safe to use from several threads at
/// once; use one Flow per thread (each may share the same Model).
class CUCNF_API Flow {
 public:
  /// Binds `model` to `device`. Throws Error(cuda_unavailable) for Device::cuda without a GPU.
  explicit Flow(Model model, Device device = Device::automatic,
                Precision precision = Precision::float32);
  ~Flow();
  Flow(Flow&&) noexcept;
  Flow& operator=(Flow&&) noexcept;
  Flow(const Flow&) = delete;
  Flow& operator=(const Flow&) = delete;

  /// The resolved device: Device::cpu or Device::cuda.
  Device device() const;
  /// E.g. "CPU (float64)" or "NVIDIA H100 80GB HBM3 (CUDA sm_90, float32)".
  std::string device_description() const;
  /// The model with the current parameters.
  const Model& model() const;
  /// Replaces the parameters (validated like Model::set_params) on the host and the device.
  void set_params(const std::vector<double>& params);

  /// log p(x) by the density direction: z(t1) = x, l(t1) = 0, integrate to t0, then
  /// log p(x) = log N(z(t0); 0, s^2 I) - l(t0). Throws Error(invalid_argument) when x is empty,
  /// its size is not a multiple of D, or a value is not finite; Error(step_size_underflow),
  /// Error(max_steps_exceeded) or Error(non_finite_state) when the solve fails (naming t, h).
  LogProbResult log_prob(const std::vector<double>& x, const SolverOptions& options = {});

  /// Draws n points z0 ~ N(0, s^2 I) (from `seed`, reproducibly: the same draws on any device)
  /// and carries them to t1. Throws Error(invalid_argument) for n == 0, and the solve errors of
  /// log_prob.
  SampleResult sample(std::size_t n, std::uint64_t seed, const SolverOptions& options = {});

  /// Integrates from times[0] (z = z_start, N x D; l = 0) through every later time, returning
  /// the state at each (the solver lands on every time exactly). Used for animations. Throws
  /// Error(invalid_argument) for fewer than two times, times that are not strictly monotone
  /// (either direction) or not finite, and the solve errors of log_prob.
  TrajectoryResult trajectory(const std::vector<double>& z_start, const std::vector<double>& times,
                              const SolverOptions& options = {});

  /// The loss L = -mean_n log p(x_n) and dL/dtheta (in the parameter layout of Model::params)
  /// by the adjoint method chosen in `gradient_options`.
  GradientResult gradient(const std::vector<double>& x, const SolverOptions& options = {},
                          const GradientOptions& gradient_options = {});

  /// The same solves on caller-owned arrays in GPU memory, in `stream`'s order, with no host
  /// copies: see device_arrays.hpp for the arrays, the ordering and synchronisation semantics
  /// and the errors. A Flow on Device::cuda only (else Error(invalid_argument)).
  SolveStats log_prob(const DeviceLogProbArrays<float>& arrays, CudaStream stream,
                      const SolverOptions& options = {});
  SolveStats log_prob(const DeviceLogProbArrays<double>& arrays, CudaStream stream,
                      const SolverOptions& options = {});
  SolveStats sample(const DeviceSampleArrays<float>& arrays, CudaStream stream,
                    const SolverOptions& options = {});
  SolveStats sample(const DeviceSampleArrays<double>& arrays, CudaStream stream,
                    const SolverOptions& options = {});
  DeviceGradientStats gradient(const DeviceGradientArrays<float>& arrays, CudaStream stream,
                               const SolverOptions& options = {},
                               const GradientOptions& gradient_options = {});
  DeviceGradientStats gradient(const DeviceGradientArrays<double>& arrays, CudaStream stream,
                               const SolverOptions& options = {},
                               const GradientOptions& gradient_options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cucnf
