// CudaBackend's adjoint paths: the gradient of the mean negative log-likelihood by the
// continuous adjoint (an augmented solve back in time) or the exact discrete adjoint (the forward
// solve's steps replayed last first), left on the device for gradient() and train_step().
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "adjoint_init.hpp"
#include "core/control_params.hpp"
#include "core/integrate.hpp"
#include "cuda/cuda_backend.hpp"
#include "cuda/cuda_rk.hpp"
#include "cuda/launch_shape.hpp"
#include "cuda_check.hpp"
#include "discrete_adjoint.hpp"

namespace cucnf::detail {

template <class Real>
typename CudaBackend<Real>::DeviceGradient CudaBackend<Real>::device_gradient(
    int N, const FlowSpec& spec, const SolverOptions& options,
    const GradientOptions& gradient_options) {
  if (gradient_options.adjoint == Adjoint::discrete) return discrete_gradient(N, spec, options);
  const int D = layout_.dim;
  const Tableau& tab = tableau(options.method);
  DeviceGradient result{};
  const SolveDims fdims = make_dims(N, layout_, false, false, sizeof(Real));
  SolveBuffers<Real> fb = cnf_.prepare(fdims, layout_, tab, 0, theta_.data(), stream_);
  const ControlParams fparams = control_params(options);
  CudaRk<Real> forward(fb, fdims, layout_, tab, fparams, pinned_.data(), stream_);
  forward.use_graphs(&cnf_.graphs);
  forward.plan_attempts(&plans_.gradient_forward);
  result.forward =
      integrate(forward, fparams, {spec.t1, spec.t0}, options.step_size, "density solve");

  // Augmented state at t0, and the loss.
  const SolveDims adims = make_dims(N, layout_, true, !gradient_options.seminorm, sizeof(Real));
  SolveBuffers<Real> ab = adjoint_.prepare(adims, layout_, tab, 0, theta_.data(), stream_);
  nll_.reserve(std::size_t(N) + 1, stream_);
  const size_t scratch_bytes = sum_scratch_bytes(N);
  sum_scratch_.reserve(scratch_bytes, stream_);
  launch_adjoint_init(forward.state(), ab.y[0], nll_.data(), N, D, spec.base_variance, stream_);
  launch_sum(nll_.data(), nll_.data() + N, N, sum_scratch_.data(), scratch_bytes, stream_);
  CUCNF_CUDA_CHECK(cudaMemsetAsync(ab.theta[0], 0, layout_.total * sizeof(Real), stream_));

  const double rtol =
      gradient_options.adjoint_rtol > 0 ? gradient_options.adjoint_rtol : options.rtol;
  const double atol =
      gradient_options.adjoint_atol > 0 ? gradient_options.adjoint_atol : options.atol;
  const ControlParams aparams = control_params(options, rtol, atol);
  CudaRk<Real> backward(ab, adims, layout_, tab, aparams, pinned_.data(), stream_);
  backward.use_graphs(&adjoint_.graphs);
  backward.plan_attempts(&plans_.adjoint);
  // Every poll also reads back the loss and the non-finite counts of both a_theta buffers (the
  // poll says which holds the result): the last poll then brings what train_step checks.
  const Real* const thetas[2] = {ab.theta[0], ab.theta[1]};
  backward.read_back_with_poll([&] {
    enqueue_gradient_check(thetas, 2, layout_.total, nll_.data() + N, flag_.data(), check_.data(),
                           stream_);
  });
  try {
    result.backward =
        integrate(backward, aparams, {spec.t0, spec.t1}, options.step_size, "adjoint solve");
  } catch (const Error& e) {
    // A non-finite loss makes the adjoint solve fail; report the cause, not the symptom (the
    // failing poll read the loss back). CUDA failures are rethrown as they are.
    if (e.kind() == ErrorKind::cuda_failure) throw;
    check_finite_loss(check_.data()->loss_sum);
    throw;
  }
  result.grad = backward.theta_state();
  result.loss_sum = nll_.data() + N;
  GradientCheck& check = *check_.data();
  check.non_finite[0] = check.non_finite[result.grad == thetas[0] ? 0 : 1];
  return result;
}

// The exact discrete adjoint: the forward solve records its accepted steps; then, last step
// first, each step's stages are replayed (stage_kernel, keeping the stage inputs) and their
// cotangents pulled back through the field (stage_kernel in vjp mode on [Y_s, kbar_s]) and the
// hypernetwork (hyper_backward), as host/cpu/discrete_adjoint.cpp does on the CPU.
template <class Real>
typename CudaBackend<Real>::DeviceGradient CudaBackend<Real>::discrete_gradient(
    int N, const FlowSpec& spec, const SolverOptions& options) {
  const int D = layout_.dim, E = D + 1;
  const std::size_t state = std::size_t(N) * E;
  const Tableau& tab = tableau(options.method);
  const int S = tab.stages;
  const bool separate_fsal = tab.fsal && !tab.b_is_last_stage;
  DeviceGradient result{};

  // Forward, recording.
  const SolveDims fdims = make_dims(N, layout_, false, false, sizeof(Real));
  SolveBuffers<Real> fb = cnf_.prepare(fdims, layout_, tab, 0, theta_.data(), stream_);
  if (separate_fsal) {
    fsal_[0].reserve(state, stream_);
    fsal_[1].reserve(state, stream_);
    fb.fsal_point[0] = fsal_[0].data();
    fb.fsal_point[1] = fsal_[1].data();
  }
  recorder_.reset(state, separate_fsal, stream_);
  const ControlParams fparams = control_params(options);
  CudaRk<Real> forward(fb, fdims, layout_, tab, fparams, pinned_.data(), stream_);
  forward.record_steps(&recorder_);
  forward.plan_attempts(&plans_.gradient_forward);
  result.forward =
      integrate(forward, fparams, {spec.t1, spec.t0}, options.step_size, "density solve");
  const int steps = int(result.forward.accepted);

  // Cotangents of the end state and the loss.
  bars_.reserve(state * (S + 2), stream_);
  Real* y_bar = bars_.data();
  Real* p_bar = y_bar + state;
  Real* stage_bars = p_bar + state;
  nll_.reserve(std::size_t(N) + 1, stream_);
  const size_t scratch_bytes = sum_scratch_bytes(N);
  sum_scratch_.reserve(scratch_bytes, stream_);
  launch_discrete_init(forward.state(), y_bar, nll_.data(), N, D, spec.base_variance, stream_);
  launch_sum(nll_.data(), nll_.data() + N, N, sum_scratch_.data(), scratch_bytes, stream_);
  CUCNF_CUDA_CHECK(cudaMemsetAsync(p_bar, 0, state * sizeof(Real), stream_));
  grad_.reserve(layout_.total, stream_);
  CUCNF_CUDA_CHECK(cudaMemsetAsync(grad_.data(), 0, layout_.total * sizeof(Real), stream_));

  // One controller per recorded step, [t, t_new] exactly as the forward solve took it.
  const StepRecord<Real> record = recorder_.view();
  std::vector<double> times(2 * std::size_t(steps));
  CUCNF_CUDA_CHECK(cudaMemcpyAsync(times.data(), record.times, times.size() * sizeof(double),
                                   cudaMemcpyDeviceToHost, stream_));
  CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  std::vector<StepControl> controls(steps);
  for (int m = 0; m < steps; ++m) {
    StepControl& c = controls[m];
    c.t = times[2 * m];
    c.t_end = times[2 * m + 1];
    c.dir = c.t_end > c.t ? 1.0 : -1.0;
    c.h = std::fabs(c.t_end - c.t);
    c.status = kRunning;
  }
  replay_controls_.reserve(std::max(steps, 1), stream_);
  CUCNF_CUDA_CHECK(cudaMemcpyAsync(replay_controls_.data(), controls.data(),
                                   controls.size() * sizeof(StepControl), cudaMemcpyHostToDevice,
                                   stream_));

  // Workspaces: the replay (CNF layout, keeping stage inputs) and the VJPs (adjoint layout,
  // reading the replay's stage parameters).
  SolveBuffers<Real> rb = replay_.prepare(fdims, layout_, tab, 0, theta_.data(), stream_);
  stage_inputs_.reserve(state * S, stream_);
  rb.stage_inputs = stage_inputs_.data();
  const SolveDims vdims = make_dims(N, layout_, true, false, sizeof(Real));
  SolveBuffers<Real> vb = adjoint_.prepare(vdims, layout_, tab, 0, theta_.data(), stream_);
  vb.stage_params = rb.stage_params;
  vb.hyper_cache = rb.hyper_cache;
  const ControlParams none = control_params(options);

  for (int m = steps - 1; m >= 0; --m) {
    rb.ctl = vb.ctl = replay_controls_.data() + m;
    const Real* y_m = record.y + std::size_t(m) * state;
    const Real* p_m = separate_fsal ? record.fsal + std::size_t(m) * state : y_m;
    if (tab.fsal) {  // k_0 = F(t, p_m), the FSAL point, into slot 0
      CUCNF_CUDA_CHECK(
          cudaMemcpyAsync(rb.y[0], p_m, state * sizeof(Real), cudaMemcpyDeviceToDevice, stream_));
      launch_hyper_forward(rb, layout_, tab, StageMode::initial, stream_);
      launch_stage(rb, fdims, layout_, tab, none, StageMode::initial, 0, stream_);
    }
    CUCNF_CUDA_CHECK(
        cudaMemcpyAsync(rb.y[0], y_m, state * sizeof(Real), cudaMemcpyDeviceToDevice, stream_));
    launch_hyper_forward(rb, layout_, tab, StageMode::attempt, stream_);
    for (int s = tab.fsal ? 1 : 0; s < S; ++s)
      launch_stage(rb, fdims, layout_, tab, none, StageMode::attempt, s, stream_);
    const double dt = controls[m].t_end - controls[m].t;
    for (int s = S - 1; s >= 0; --s) {
      launch_pack_cotangent(rb.stage_inputs + std::size_t(s) * state, y_bar, stage_bars, tab, dt, s,
                            N, E, vb.y[0], stream_);
      launch_stage(vb, vdims, layout_, tab, none, StageMode::vjp, s, stream_);
      launch_hyper_backward(vb, vdims, layout_, tab, StageMode::vjp, s, stream_);
      launch_subtract(grad_.data(), vb.k_theta, layout_.total, stream_);
      launch_unpack_vjp(vb.k, s == S - 1 && tab.fsal ? p_bar : nullptr, N, E,
                        stage_bars + std::size_t(s) * state, stream_);
    }
    launch_step_back(y_bar, p_bar, stage_bars, S, tab.fsal && m > 0, static_cast<long long>(state),
                     stream_);
  }
  result.backward.accepted = steps;
  result.backward.nfe = 2LL * S * steps;  // replayed stages and their VJPs
  result.grad = grad_.data();
  result.loss_sum = nll_.data() + N;
  // What the continuous adjoint reads back with its last poll, in one synchronisation here.
  const Real* const grads[1] = {grad_.data()};
  enqueue_gradient_check(grads, 1, layout_.total, result.loss_sum, flag_.data(), check_.data(),
                         stream_);
  CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  return result;
}

#define CUCNF_INSTANTIATE_ADJOINT(Real)                                            \
  template CudaBackend<Real>::DeviceGradient CudaBackend<Real>::device_gradient(   \
      int, const FlowSpec&, const SolverOptions&, const GradientOptions&);         \
  template CudaBackend<Real>::DeviceGradient CudaBackend<Real>::discrete_gradient( \
      int, const FlowSpec&, const SolverOptions&);
CUCNF_INSTANTIATE_ADJOINT(float)
CUCNF_INSTANTIATE_ADJOINT(double)
#undef CUCNF_INSTANTIATE_ADJOINT

}  // namespace cucnf::detail
