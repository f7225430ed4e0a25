// CudaBackend's Backend overrides: construction, density solves, gradients and training steps
// (whose adjoint paths are in cuda_adjoint.cpp), parameters and Adam's moments.
#include "cuda/cuda_backend.hpp"

#include <cuda_runtime_api.h>

#include <cmath>
#include <memory>

#include "core/adam.hpp"
#include "core/control_params.hpp"
#include "core/integrate.hpp"
#include "cuda/cuda_rk.hpp"
#include "cuda/launch_shape.hpp"
#include "cuda_check.hpp"
#include "train_kernels.hpp"

namespace cucnf::detail {

template <class Real>
CudaBackend<Real>::CudaBackend(const ModelShape& shape, const std::vector<double>& params)
    : shape_(shape), layout_(make_param_layout(shape)), pinned_(1) {
  theta_.reserve(layout_.total, stream_);
  flag_.reserve(2, stream_);  // enqueue_gradient_check's counts
  set_params(params);
  cudaDeviceProp prop{};
  CUCNF_CUDA_CHECK(cudaGetDevice(&device_));
  CUCNF_CUDA_CHECK(cudaGetDeviceProperties(&prop, device_));
  description_ = std::string(prop.name) + " (CUDA sm_" + std::to_string(prop.major) +
                 std::to_string(prop.minor) + ", " + (sizeof(Real) == 4 ? "float32" : "float64") +
                 ")";
}

template <class Real>
void CudaBackend<Real>::set_params(const std::vector<double>& params) {
  upload(theta_.data(), params);
}

template <class Real>
SolveStats CudaBackend<Real>::solve(const double* z_start, std::size_t n,
                                    const std::vector<double>& times, const SolverOptions& options,
                                    double* out_z, double* out_l, const std::string& label) {
  const int D = layout_.dim;
  const SolveDims dims = make_dims(checked_count(n), layout_, false, false, sizeof(Real));
  const Tableau& tab = tableau(options.method);
  const std::size_t outputs = times.size() - 1, state = n * (D + 1);
  SolveBuffers<Real> b = cnf_.prepare(dims, layout_, tab, outputs, theta_.data(), stream_);
  upload_points(b, z_start, n);
  const ControlParams params = control_params(options);
  CudaRk<Real> rk(b, dims, layout_, tab, params, pinned_.data(), stream_);
  rk.use_graphs(&cnf_.graphs);
  rk.plan_attempts(times[1] < times[0] ? &plans_.density : &plans_.sampling);
  Real* out = cnf_.outputs.data();
  rk.on_output([&](std::size_t index, const Real* y) {
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(out + (index - 1) * state, y, state * sizeof(Real),
                                     cudaMemcpyDeviceToDevice, stream_));
  });
  const SolveStats stats = integrate(rk, params, times, options.step_size, label);
  Real* host = staging_.get<Real>(state * outputs);
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(host, out, state * outputs * sizeof(Real), cudaMemcpyDeviceToHost, stream_));
  CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  for (std::size_t o = 0; o < outputs; ++o) {
    for (std::size_t i = 0; i < n; ++i) {
      const Real* src = host + o * state + i * (D + 1);
      for (int j = 0; j < D; ++j) out_z[o * n * D + i * D + j] = double(src[j]);
      out_l[o * n + i] = double(src[D]);
    }
  }
  return stats;
}

template <class Real>
GradientResult CudaBackend<Real>::gradient(const double* x, std::size_t n, const FlowSpec& spec,
                                           const SolverOptions& options,
                                           const GradientOptions& gradient_options) {
  const int N = checked_count(n);
  upload_points(forward_input(N, options), x, n);
  const DeviceGradient g = device_gradient(N, spec, options, gradient_options);
  GradientResult result;
  result.forward = g.forward;
  result.backward = g.backward;
  const std::size_t count = layout_.total;
  Real* grad = staging_.get<Real>(count);
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(grad, g.grad, count * sizeof(Real), cudaMemcpyDeviceToHost, stream_));
  CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  result.loss = check_.data()->loss_sum / double(n);  // read back by device_gradient
  check_finite_loss(result.loss);  // as the CPU backend: no gradient of a non-finite loss
  result.grad.assign(grad, grad + count);
  return result;
}

template <class Real>
TrainStepResult CudaBackend<Real>::train_step(const TrainStepRequest& r, const FlowSpec& spec) {
  const int N = checked_count(r.n);
  const SolveBuffers<Real> input = forward_input(N, r.solver);
  if (r.batch) {
    upload_points(input, r.batch, r.n);
  } else {
    launch_rings_batch(input.y[0], N, r.data_seed, r.data_stream, stream_);
  }
  const DeviceGradient g = device_gradient(N, spec, r.solver, r.gradient);
  // The loss and the count of non-finite gradient entries, read back by device_gradient (with
  // the adjoint solve's last poll): no synchronisation here.
  const double loss = check_.data()->loss_sum / double(r.n);
  if (check_.data()->non_finite[0] != 0 || !std::isfinite(loss)) {
    std::vector<Real> grad(layout_.total);
    CUCNF_CUDA_CHECK(
        cudaMemcpy(grad.data(), g.grad, grad.size() * sizeof(Real), cudaMemcpyDeviceToHost));
    check_finite_gradient(loss, std::vector<double>(grad.begin(), grad.end()), shape_);
  }
  ensure_adam_moments();
  launch_adam(theta_.data(), adam_m_.data(), adam_v_.data(), g.grad, layout_.total,
              adam_step(r.adam.lr, r.adam.beta1, r.adam.beta2, r.adam.eps, r.adam_step), stream_);
  return {loss, g.forward, g.backward};
}

template <class Real>
std::vector<double> CudaBackend<Real>::params() {
  return download(theta_.data(), layout_.total);
}

template <class Real>
AdamState CudaBackend<Real>::adam_state() {
  ensure_adam_moments();
  AdamState s;
  s.m = download(adam_m_.data(), layout_.total);
  s.v = download(adam_v_.data(), layout_.total);
  return s;
}

template <class Real>
void CudaBackend<Real>::set_adam_state(const AdamState& state) {
  ensure_adam_moments();
  upload(adam_m_.data(), state.m);
  upload(adam_v_.data(), state.v);
}

template <class Real>
SolveBuffers<Real> CudaBackend<Real>::forward_input(int n, const SolverOptions& options) {
  const SolveDims dims = make_dims(n, layout_, false, false, sizeof(Real));
  return cnf_.prepare(dims, layout_, tableau(options.method), 0, theta_.data(), stream_);
}

template <class Real>
void CudaBackend<Real>::upload_points(const SolveBuffers<Real>& b, const double* x, std::size_t n) {
  const int D = layout_.dim;
  const std::size_t count = n * (D + 1);
  Real* host = staging_.get<Real>(count);
  for (std::size_t i = 0; i < n; ++i) {
    for (int j = 0; j < D; ++j) host[i * (D + 1) + j] = Real(x[i * D + j]);
    host[i * (D + 1) + D] = Real(0);
  }
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(b.y[0], host, count * sizeof(Real), cudaMemcpyHostToDevice, stream_));
  staging_.in_flight_on(stream_);  // the next use of the staging buffer waits for this copy
}

template <class Real>
void CudaBackend<Real>::ensure_adam_moments() {
  if (adam_m_.capacity() >= std::size_t(layout_.total)) return;
  adam_m_.reserve(layout_.total, stream_);
  adam_v_.reserve(layout_.total, stream_);
  CUCNF_CUDA_CHECK(cudaMemsetAsync(adam_m_.data(), 0, layout_.total * sizeof(Real), stream_));
  CUCNF_CUDA_CHECK(cudaMemsetAsync(adam_v_.data(), 0, layout_.total * sizeof(Real), stream_));
}

template <class Real>
std::vector<double> CudaBackend<Real>::download(const Real* device, std::size_t count) {
  std::vector<Real> host(count);
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(host.data(), device, count * sizeof(Real), cudaMemcpyDeviceToHost, stream_));
  CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  return std::vector<double>(host.begin(), host.end());
}

template <class Real>
void CudaBackend<Real>::upload(Real* device, const std::vector<double>& values) {
  const std::vector<Real> host(values.begin(), values.end());
  // From pageable memory the copy is staged before cudaMemcpyAsync returns: `host` may go, and
  // later work on the stream sees the values. No synchronisation.
  CUCNF_CUDA_CHECK(cudaMemcpyAsync(device, host.data(), host.size() * sizeof(Real),
                                   cudaMemcpyHostToDevice, stream_));
}

template <class Real>
int CudaBackend<Real>::checked_count(std::size_t n) {
  if (n > std::size_t(1) << 30)
    throw Error(ErrorKind::invalid_argument,
                "at most 2^30 points per call on the CUDA backend (got " + std::to_string(n) + ")");
  return int(n);
}

template class CudaBackend<float>;
template class CudaBackend<double>;

std::unique_ptr<Backend> make_cuda_backend(const ModelShape& shape,
                                           const std::vector<double>& params, Precision precision) {
  if (cuda_device_count() == 0)
    throw Error(ErrorKind::cuda_unavailable, "no usable CUDA device for the CUDA backend");
  if (precision == Precision::float64) return std::make_unique<CudaBackend<double>>(shape, params);
  return std::make_unique<CudaBackend<float>>(shape, params);
}

}  // namespace cucnf::detail
