// Flow's device-array members (cucnf/device_arrays.hpp): the checks that need no device (the
// Flow's device, the options, missing or overlapping arrays, counts), then the backend's
// device-array solves, which check the rest (memory kinds, the stream).
#include <cstdint>
#include <initializer_list>
#include <string>

#include "cucnf/error.hpp"
#include "cucnf/flow.hpp"
#include "flow_impl.hpp"

namespace cucnf {
namespace {

constexpr std::size_t kMaxDevicePoints = std::size_t(1) << 30;

detail::DeviceArrayBackend& device_arrays(detail::Backend& backend, Device device) {
  detail::DeviceArrayBackend* arrays = backend.device_arrays();
  if (!arrays)
    throw Error(ErrorKind::invalid_argument,
                std::string("device arrays need a Flow on Device::cuda, and this Flow runs on ") +
                    device_name(device) + " (construct it with Device::cuda)");
  return *arrays;
}

void require(const void* array, const char* name) {
  if (!array)
    throw Error(ErrorKind::invalid_argument, std::string(name) + " is null (a device array)");
}

void check_count(std::size_t n, const char* what) {
  if (n == 0) throw Error(ErrorKind::invalid_argument, std::string(what) + ".n is 0 (at least 1)");
  if (n > kMaxDevicePoints)
    throw Error(ErrorKind::invalid_argument, std::string(what) + ".n is " + std::to_string(n) +
                                                 ": at most 2^30 per call on the CUDA backend");
}

// An output array: where it starts, how many bytes it spans, its name.
struct Span {
  const void* data;
  std::size_t bytes;
  const char* name;
};

// Outputs written by one call must not overlap (an output may overlap the input: it is read
// before anything is written).
void check_disjoint(std::initializer_list<Span> outputs) {
  for (auto a = outputs.begin(); a != outputs.end(); ++a) {
    for (auto b = a + 1; b != outputs.end(); ++b) {
      if (!a->data || !b->data) continue;
      const auto a0 = reinterpret_cast<std::uintptr_t>(a->data);
      const auto b0 = reinterpret_cast<std::uintptr_t>(b->data);
      if (a0 < b0 + b->bytes && b0 < a0 + a->bytes)
        throw Error(ErrorKind::invalid_argument, std::string(a->name) + " and " + b->name +
                                                     " overlap (outputs must be distinct arrays)");
    }
  }
}

template <class T>
SolveStats log_prob_on_device(detail::DeviceArrayBackend& backend, const detail::FlowSpec& spec,
                              int dim, const DeviceLogProbArrays<T>& a, CudaStream stream,
                              const SolverOptions& options) {
  validate(options);
  require(a.x, "DeviceLogProbArrays::x");
  require(a.log_prob, "DeviceLogProbArrays::log_prob");
  check_count(a.n, "DeviceLogProbArrays");
  check_disjoint({{a.log_prob, a.n * sizeof(T), "DeviceLogProbArrays::log_prob"},
                  {a.z0, a.n * dim * sizeof(T), "DeviceLogProbArrays::z0"},
                  {a.delta_logp, a.n * sizeof(T), "DeviceLogProbArrays::delta_logp"}});
  return backend.log_prob(a, spec, options, stream);
}

template <class T>
SolveStats sample_on_device(detail::DeviceArrayBackend& backend, const detail::FlowSpec& spec,
                            int dim, const DeviceSampleArrays<T>& a, CudaStream stream,
                            const SolverOptions& options) {
  validate(options);
  require(a.x, "DeviceSampleArrays::x");
  check_count(a.n, "DeviceSampleArrays");
  check_disjoint({{a.x, a.n * dim * sizeof(T), "DeviceSampleArrays::x"},
                  {a.log_prob, a.n * sizeof(T), "DeviceSampleArrays::log_prob"},
                  {a.z0, a.n * dim * sizeof(T), "DeviceSampleArrays::z0"}});
  return backend.sample(a, spec, options, stream);
}

template <class T>
DeviceGradientStats gradient_on_device(detail::DeviceArrayBackend& backend,
                                       const detail::FlowSpec& spec, std::size_t params,
                                       const DeviceGradientArrays<T>& a, CudaStream stream,
                                       const SolverOptions& options,
                                       const GradientOptions& gradient_options) {
  validate(options);
  detail::validate_gradient_options(gradient_options);
  require(a.x, "DeviceGradientArrays::x");
  require(a.grad, "DeviceGradientArrays::grad");
  check_count(a.n, "DeviceGradientArrays");
  check_disjoint({{a.grad, params * sizeof(T), "DeviceGradientArrays::grad"},
                  {a.loss, sizeof(T), "DeviceGradientArrays::loss"}});
  return backend.gradient(a, spec, options, gradient_options, stream);
}

}  // namespace

SolveStats Flow::log_prob(const DeviceLogProbArrays<float>& arrays, CudaStream stream,
                          const SolverOptions& options) {
  return log_prob_on_device(device_arrays(*impl_->backend, impl_->device), impl_->spec(),
                            impl_->model.shape().dim, arrays, stream, options);
}

SolveStats Flow::log_prob(const DeviceLogProbArrays<double>& arrays, CudaStream stream,
                          const SolverOptions& options) {
  return log_prob_on_device(device_arrays(*impl_->backend, impl_->device), impl_->spec(),
                            impl_->model.shape().dim, arrays, stream, options);
}

SolveStats Flow::sample(const DeviceSampleArrays<float>& arrays, CudaStream stream,
                        const SolverOptions& options) {
  return sample_on_device(device_arrays(*impl_->backend, impl_->device), impl_->spec(),
                          impl_->model.shape().dim, arrays, stream, options);
}

SolveStats Flow::sample(const DeviceSampleArrays<double>& arrays, CudaStream stream,
                        const SolverOptions& options) {
  return sample_on_device(device_arrays(*impl_->backend, impl_->device), impl_->spec(),
                          impl_->model.shape().dim, arrays, stream, options);
}

DeviceGradientStats Flow::gradient(const DeviceGradientArrays<float>& arrays, CudaStream stream,
                                   const SolverOptions& options,
                                   const GradientOptions& gradient_options) {
  return gradient_on_device(device_arrays(*impl_->backend, impl_->device), impl_->spec(),
                            impl_->model.shape().parameter_count(), arrays, stream, options,
                            gradient_options);
}

DeviceGradientStats Flow::gradient(const DeviceGradientArrays<double>& arrays, CudaStream stream,
                                   const SolverOptions& options,
                                   const GradientOptions& gradient_options) {
  return gradient_on_device(device_arrays(*impl_->backend, impl_->device), impl_->spec(),
                            impl_->model.shape().parameter_count(), arrays, stream, options,
                            gradient_options);
}

}  // namespace cucnf
