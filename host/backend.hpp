// The interface a Flow drives: one implementation per device (CPU float64, CUDA float32).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cucnf/device.hpp"
#include "cucnf/gradient.hpp"
#include "cucnf/model.hpp"
#include "cucnf/solver.hpp"

namespace cucnf::detail {

/// What a solve needs to know of a model besides its parameters.
struct FlowSpec {
  double t0;
  double t1;
  double base_variance;
};

class Backend {
 public:
  virtual ~Backend() = default;
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
};

std::unique_ptr<Backend> make_cpu_backend(const ModelShape& shape,
                                          const std::vector<double>& params);
/// Throws Error(cuda_unavailable) when the library was built without a usable GPU at hand.
std::unique_ptr<Backend> make_cuda_backend(const ModelShape& shape,
                                           const std::vector<double>& params, Precision precision);

}  // namespace cucnf::detail
