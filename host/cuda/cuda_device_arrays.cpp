// CudaBackend's device-array solves (cucnf/device_arrays.hpp): caller-owned arrays go into the
// solve's workspace and the results come out by kernels on the device, so no sample data
// crosses to the host; only the step controller's polls do, as in every solve.
//
// Stream: the work runs on the backend's own stream, ordered after the caller's stream by an
// event at the start and the caller's stream after it by an event at the end
// (cuda/caller_stream.hpp). Running it on the caller's stream instead would be wrong, not just
// different: the workspace, the controller's pinned memory and the buffers' growth (whose
// poison, and whose frees, assume nothing else uses the memory) all belong to one stream, and
// two calls on two unordered caller streams would share the workspace with no order between
// them. The events cost two records and two waits per call and no host synchronisation.
#include <cuda_runtime_api.h>

#include <string>

#include "core/control_params.hpp"
#include "core/integrate.hpp"
#include "cuda/caller_stream.hpp"
#include "cuda/cuda_backend.hpp"
#include "cuda/cuda_rk.hpp"
#include "cuda/launch_shape.hpp"
#include "cuda_check.hpp"
#include "device_arrays.hpp"

namespace cucnf::detail {
namespace {

cudaStream_t caller_stream(CudaStream stream) {
  return static_cast<cudaStream_t>(stream.handle);
}

}  // namespace

template <class Real>
void CudaBackend<Real>::check_device_array(const void* array, const char* name) const {
  if (!array) return;  // the Flow has required what is required; optional arrays may be null
  cudaPointerAttributes attributes{};
  CUCNF_CUDA_CHECK(cudaPointerGetAttributes(&attributes, array));
  switch (attributes.type) {
    case cudaMemoryTypeDevice:
      if (attributes.device != device_)
        throw Error(ErrorKind::invalid_argument,
                    std::string(name) + " is memory of GPU " + std::to_string(attributes.device) +
                        ", but the Flow runs on GPU " + std::to_string(device_));
      return;
    case cudaMemoryTypeManaged:
      return;
    case cudaMemoryTypeHost:
      throw Error(ErrorKind::invalid_argument,
                  std::string(name) +
                      " is page-locked host memory: device arrays must be in device memory "
                      "(cudaMalloc); for host data use the std::vector overloads");
    default:
      throw Error(ErrorKind::invalid_argument,
                  std::string(name) +
                      " is host memory, not device memory: device arrays must be in device "
                      "memory (cudaMalloc); for host data use the std::vector overloads");
  }
}

template <class Real>
template <class T>
SolveStats CudaBackend<Real>::device_log_prob(const DeviceLogProbArrays<T>& a, const FlowSpec& spec,
                                              const SolverOptions& options, CudaStream stream) {
  check_device_array(a.x, "DeviceLogProbArrays::x");
  check_device_array(a.log_prob, "DeviceLogProbArrays::log_prob");
  check_device_array(a.z0, "DeviceLogProbArrays::z0");
  check_device_array(a.delta_logp, "DeviceLogProbArrays::delta_logp");
  const int N = checked_count(a.n), D = layout_.dim;
  const SolveDims dims = make_dims(N, layout_, false, false, sizeof(Real));
  const Tableau& tab = tableau(options.method);
  CallerStreamScope order(caller_stream(stream), stream_, call_start_, call_end_);
  const SolveBuffers<Real> b = cnf_.prepare(dims, layout_, tab, 0, theta_.data(), stream_);
  launch_points_to_state(a.x, b.y[0], N, D, stream_);
  const ControlParams params = control_params(options);
  CudaRk<Real> rk(b, dims, layout_, tab, params, pinned_.data(), stream_);
  rk.use_graphs(&cnf_.graphs);
  rk.plan_attempts(&plans_.density);
  const SolveStats stats =
      integrate(rk, params, {spec.t1, spec.t0}, options.step_size, "density solve");
  launch_density_outputs(rk.state(), N, D, spec.base_variance, a.log_prob, a.z0, a.delta_logp,
                         stream_);
  order.finish();
  return stats;
}

template <class Real>
template <class T>
SolveStats CudaBackend<Real>::device_sample(const DeviceSampleArrays<T>& a, const FlowSpec& spec,
                                            const SolverOptions& options, CudaStream stream) {
  check_device_array(a.x, "DeviceSampleArrays::x");
  check_device_array(a.log_prob, "DeviceSampleArrays::log_prob");
  check_device_array(a.z0, "DeviceSampleArrays::z0");
  const int N = checked_count(a.n), D = layout_.dim;
  const SolveDims dims = make_dims(N, layout_, false, false, sizeof(Real));
  const Tableau& tab = tableau(options.method);
  CallerStreamScope order(caller_stream(stream), stream_, call_start_, call_end_);
  const SolveBuffers<Real> b = cnf_.prepare(dims, layout_, tab, 0, theta_.data(), stream_);
  // log N(z0) goes into the caller's log_prob now; the end state's l(t1) is added at the end.
  launch_base_draws(b.y[0], N, D, spec.base_variance, a.seed, a.z0, a.log_prob, stream_);
  const ControlParams params = control_params(options);
  CudaRk<Real> rk(b, dims, layout_, tab, params, pinned_.data(), stream_);
  rk.use_graphs(&cnf_.graphs);
  rk.plan_attempts(&plans_.sampling);
  const SolveStats stats =
      integrate(rk, params, {spec.t0, spec.t1}, options.step_size, "sampling solve");
  launch_sample_outputs(rk.state(), N, D, a.x, a.log_prob, stream_);
  order.finish();
  return stats;
}

template <class Real>
template <class T>
DeviceGradientStats CudaBackend<Real>::device_arrays_gradient(
    const DeviceGradientArrays<T>& a, const FlowSpec& spec, const SolverOptions& options,
    const GradientOptions& gradient_options, CudaStream stream) {
  check_device_array(a.x, "DeviceGradientArrays::x");
  check_device_array(a.grad, "DeviceGradientArrays::grad");
  check_device_array(a.loss, "DeviceGradientArrays::loss");
  const int N = checked_count(a.n);
  CallerStreamScope order(caller_stream(stream), stream_, call_start_, call_end_);
  launch_points_to_state(a.x, forward_input(N, options).y[0], N, layout_.dim, stream_);
  const DeviceGradient g = device_gradient(N, spec, options, gradient_options);
  launch_gradient_outputs(g.grad, layout_.total, g.loss_sum, N, a.grad, a.loss, stream_);
  order.finish();
  return {g.forward, g.backward};
}

template <class Real>
SolveStats CudaBackend<Real>::log_prob(const DeviceLogProbArrays<float>& a, const FlowSpec& spec,
                                       const SolverOptions& options, CudaStream stream) {
  return device_log_prob(a, spec, options, stream);
}

template <class Real>
SolveStats CudaBackend<Real>::log_prob(const DeviceLogProbArrays<double>& a, const FlowSpec& spec,
                                       const SolverOptions& options, CudaStream stream) {
  return device_log_prob(a, spec, options, stream);
}

template <class Real>
SolveStats CudaBackend<Real>::sample(const DeviceSampleArrays<float>& a, const FlowSpec& spec,
                                     const SolverOptions& options, CudaStream stream) {
  return device_sample(a, spec, options, stream);
}

template <class Real>
SolveStats CudaBackend<Real>::sample(const DeviceSampleArrays<double>& a, const FlowSpec& spec,
                                     const SolverOptions& options, CudaStream stream) {
  return device_sample(a, spec, options, stream);
}

template <class Real>
DeviceGradientStats CudaBackend<Real>::gradient(const DeviceGradientArrays<float>& a,
                                                const FlowSpec& spec, const SolverOptions& options,
                                                const GradientOptions& gradient_options,
                                                CudaStream stream) {
  return device_arrays_gradient(a, spec, options, gradient_options, stream);
}

template <class Real>
DeviceGradientStats CudaBackend<Real>::gradient(const DeviceGradientArrays<double>& a,
                                                const FlowSpec& spec, const SolverOptions& options,
                                                const GradientOptions& gradient_options,
                                                CudaStream stream) {
  return device_arrays_gradient(a, spec, options, gradient_options, stream);
}

#define CUCNF_INSTANTIATE_DEVICE_ARRAYS(Real)                                                      \
  template void CudaBackend<Real>::check_device_array(const void*, const char*) const;             \
  template SolveStats CudaBackend<Real>::log_prob(                                                 \
      const DeviceLogProbArrays<float>&, const FlowSpec&, const SolverOptions&, CudaStream);       \
  template SolveStats CudaBackend<Real>::log_prob(                                                 \
      const DeviceLogProbArrays<double>&, const FlowSpec&, const SolverOptions&, CudaStream);      \
  template SolveStats CudaBackend<Real>::sample(const DeviceSampleArrays<float>&, const FlowSpec&, \
                                                const SolverOptions&, CudaStream);                 \
  template SolveStats CudaBackend<Real>::sample(                                                   \
      const DeviceSampleArrays<double>&, const FlowSpec&, const SolverOptions&, CudaStream);       \
  template DeviceGradientStats CudaBackend<Real>::gradient(const DeviceGradientArrays<float>&,     \
                                                           const FlowSpec&, const SolverOptions&,  \
                                                           const GradientOptions&, CudaStream);    \
  template DeviceGradientStats CudaBackend<Real>::gradient(const DeviceGradientArrays<double>&,    \
                                                           const FlowSpec&, const SolverOptions&,  \
                                                           const GradientOptions&, CudaStream);
CUCNF_INSTANTIATE_DEVICE_ARRAYS(float)
CUCNF_INSTANTIATE_DEVICE_ARRAYS(double)
#undef CUCNF_INSTANTIATE_DEVICE_ARRAYS

}  // namespace cucnf::detail
