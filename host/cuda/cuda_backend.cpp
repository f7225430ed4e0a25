// The CUDA backend: float32 (or float64) solves whose controller lives on the device.
//
// The host enqueues step attempts ahead (see kernels/rk_kernels.hpp) and reads the controller
// back only every few attempts, so a solve costs one synchronisation per batch of attempts, not
// one per step. All scratch memory is sized once per solve shape and reused.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "adjoint_init.hpp"
#include "backend.hpp"
#include "core/adam.hpp"
#include "core/control_params.hpp"
#include "core/integrate.hpp"
#include "core/param_layout.hpp"
#include "cuda/cuda_timings.hpp"
#include "cuda/launch_shape.hpp"
#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "discrete_adjoint.hpp"
#include "rk_kernels.hpp"
#include "train_kernels.hpp"

namespace cucnf::detail {
namespace {

// Device memory of one kind of solve (CNF or adjoint), grown on demand and reused.
template <class Real>
struct SolveWorkspace {
  DeviceBuffer<StepControl> ctl{1};
  DeviceBuffer<Real> y[2], k, stage_params, hyper_cache, outputs;
  DeviceBuffer<double> err_partials;
  DeviceBuffer<Real> theta[2], k_theta, param_partials, reduced, gp;

  SolveBuffers<Real> prepare(const SolveDims& d, const ParamLayout& l, const Tableau& tab,
                             std::size_t output_count, const Real* model_theta) {
    const std::size_t state = std::size_t(d.n) * d.elems;
    const int sets = std::max(tab.stages, 2);
    y[0].reserve(state);
    y[1].reserve(state);
    k.reserve(state * tab.stages);
    stage_params.reserve(std::size_t(sets) * stage_params_stride(l));
    hyper_cache.reserve(std::size_t(sets) * hyper_cache_stride(l));
    err_partials.reserve(std::size_t(d.warps) * 4);
    if (output_count > 0) outputs.reserve(state * output_count);
    SolveBuffers<Real> b;
    b.ctl = ctl.data();
    b.y[0] = y[0].data();
    b.y[1] = y[1].data();
    b.k = k.data();
    b.err_partials = err_partials.data();
    b.stage_params = stage_params.data();
    b.hyper_cache = hyper_cache.data();
    b.theta_model = model_theta;
    if (d.adjoint) {
      theta[0].reserve(l.total);
      theta[1].reserve(l.total);
      k_theta.reserve(std::size_t(l.total) * tab.stages);
      param_partials.reserve(std::size_t(d.warps) * param_partials_stride(l));
      reduced.reserve(param_partials_stride(l));
      gp.reserve(l.outputs);
      b.theta[0] = theta[0].data();
      b.theta[1] = theta[1].data();
      b.k_theta = k_theta.data();
      b.param_partials = param_partials.data();
      b.reduced = reduced.data();
      b.gp = gp.data();
    }
    return b;
  }
};

// The accepted steps of a forward solve, for the discrete adjoint: grows by doubling (keeping
// what it holds), so its memory follows the number of steps.
template <class Real>
class StepRecorder {
 public:
  void reset(std::size_t state, bool with_fsal) {
    state_ = state;
    with_fsal_ = with_fsal;
    // What the buffers of earlier solves already hold is kept (no allocation per solve).
    std::size_t steps = times_.capacity() / 2;
    steps = std::min(steps, y_.capacity() / state);
    if (with_fsal) steps = std::min(steps, fsal_.capacity() / state);
    capacity_ = int(std::min<std::size_t>(steps, 1 << 30));
  }

  /// Room for `steps` steps; called before an attempt that could record step `steps` - 1.
  void ensure(int steps, cudaStream_t stream) {
    if (steps <= capacity_) return;
    const int capacity = std::max({steps, 2 * capacity_, 8});
    grow(y_, capacity * state_, capacity_ * state_, stream);
    if (with_fsal_) grow(fsal_, capacity * state_, capacity_ * state_, stream);
    grow(times_, 2 * std::size_t(capacity), 2 * std::size_t(capacity_), stream);
    capacity_ = capacity;
  }

  StepRecord<Real> view() {
    return {y_.data(), with_fsal_ ? fsal_.data() : nullptr, times_.data(), capacity_};
  }

 private:
  template <class T>
  static void grow(DeviceBuffer<T>& buffer, std::size_t count, std::size_t keep,
                   cudaStream_t stream) {
    if (buffer.capacity() >= count) return;
    DeviceBuffer<T> larger(count);
    if (keep > 0) {
      CUCNF_CUDA_CHECK(cudaMemcpyAsync(larger.data(), buffer.data(), keep * sizeof(T),
                                       cudaMemcpyDeviceToDevice, stream));
      // cudaFree is not documented to wait for the stream: the copy must finish before the old
      // buffer goes (growth doubles the record, so this happens a few times per solve shape).
      CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream));
    }
    buffer = std::move(larger);
  }

  DeviceBuffer<Real> y_, fsal_;
  DeviceBuffer<double> times_;
  std::size_t state_ = 0;
  bool with_fsal_ = false;
  int capacity_ = 0;
};

// The step driver's Ops on the device (core/integrate.hpp).
template <class Real>
class CudaRk {
 public:
  CudaRk(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l, const Tableau& tab,
         const ControlParams& p, StepControl* pinned, cudaStream_t stream)
      : b_(b), d_(d), l_(l), tab_(tab), p_(p), host_(pinned), stream_(stream) {}

  void on_output(std::function<void(std::size_t, const Real*)> fn) { on_output_ = std::move(fn); }
  /// Records every accepted step (the buffers' fsal_point must be set for methods whose FSAL
  /// point differs from the state).
  void record_steps(StepRecorder<Real>* recorder) { recorder_ = recorder; }

  void start(double t0, double t_end, double step_size) {
    StepControl c;
    c.t = t0;
    c.t_end = t_end;
    c.dir = t_end > t0 ? 1.0 : -1.0;
    c.h = step_size;
    c.status = kRunning;
    const bool hairer = tab_.adaptive && step_size == 0.0;
    if (!tab_.fsal && !hairer) check_next_attempt(c);
    *host_ = c;
    upload();
    pending_ = 0;
    if (b_.fsal_point[0])  // the first step's k_0 is evaluated at the initial state
      CUCNF_CUDA_CHECK(cudaMemcpyAsync(b_.fsal_point[0], b_.y[0], state_bytes(),
                                       cudaMemcpyDeviceToDevice, stream_));
    if (tab_.fsal || hairer) {
      evaluate(StageMode::initial, 0);
      launch_finalize(b_, d_, l_, tab_, p_, StageMode::initial, hairer, stream_);
      if (hairer) {
        evaluate(StageMode::probe, 0);
        launch_finalize(b_, d_, l_, tab_, p_, StageMode::probe, hairer, stream_);
      }
    }
  }

  void attempt() {
    launch_hyper_forward(b_, l_, tab_, StageMode::attempt, stream_);
    for (int s = tab_.fsal ? 1 : 0; s < tab_.stages; ++s) {
      launch_stage(b_, d_, l_, tab_, p_, StageMode::attempt, s, stream_);
      if (d_.adjoint) launch_hyper_backward(b_, d_, l_, tab_, StageMode::attempt, s, stream_);
    }
    launch_finalize(b_, d_, l_, tab_, p_, StageMode::attempt, false, stream_);
    if (recorder_) {
      // Every attempt since the last poll may have been accepted.
      recorder_->ensure(int(host_->accepted) + ++pending_, stream_);
      launch_record_step(b_.ctl, b_.y, b_.fsal_point, recorder_->view(),
                         static_cast<long long>(d_.n) * d_.elems, stream_);
    }
  }

  StepControl poll() {
    CUCNF_CUDA_CHECK(
        cudaMemcpyAsync(host_, b_.ctl, sizeof(StepControl), cudaMemcpyDeviceToHost, stream_));
    CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    pending_ = 0;
    return *host_;
  }

  // Enough attempts to finish the segment at the current step size, at most 16: an attempt
  // issued after the segment ends costs a few empty launches, a poll a synchronisation.
  int attempts_per_poll(const StepControl& c) const {
    const double steps = std::ceil(std::fabs(c.t_end - c.t) / c.h);
    return int(std::clamp(steps, 1.0, 16.0));
  }

  void next_segment(double t_end) {
    begin_segment(*host_, t_end);
    upload();
  }

  void record_output(std::size_t index) {
    if (on_output_) on_output_(index, b_.y[host_->buf]);
  }

  /// The current state buffer (valid after a poll).
  const Real* state() const { return b_.y[host_->buf]; }
  const Real* theta_state() const { return b_.theta[host_->buf]; }

 private:
  void upload() {
    CUCNF_CUDA_CHECK(
        cudaMemcpyAsync(b_.ctl, host_, sizeof(StepControl), cudaMemcpyHostToDevice, stream_));
  }

  std::size_t state_bytes() const { return std::size_t(d_.n) * d_.elems * sizeof(Real); }

  void evaluate(StageMode mode, int stage) {
    launch_hyper_forward(b_, l_, tab_, mode, stream_);
    launch_stage(b_, d_, l_, tab_, p_, mode, stage, stream_);
    if (d_.adjoint) launch_hyper_backward(b_, d_, l_, tab_, mode, stage, stream_);
  }

  SolveBuffers<Real> b_;
  SolveDims d_;
  ParamLayout l_;
  const Tableau& tab_;
  ControlParams p_;
  StepControl* host_;
  cudaStream_t stream_;
  std::function<void(std::size_t, const Real*)> on_output_;
  StepRecorder<Real>* recorder_ = nullptr;
  int pending_ = 0;  // attempts enqueued since the last poll
};

// A pair of CUDA events on a stream, for timing device-side intervals.
class EventTimer {
 public:
  explicit EventTimer(cudaStream_t stream) : stream_(stream) {
    CUCNF_CUDA_CHECK(cudaEventCreate(&start_));
    CUCNF_CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~EventTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  void start() { CUCNF_CUDA_CHECK(cudaEventRecord(start_, stream_)); }
  double stop_ms() {
    CUCNF_CUDA_CHECK(cudaEventRecord(stop_, stream_));
    CUCNF_CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0.0f;
    CUCNF_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return ms;
  }

 private:
  cudaStream_t stream_;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

template <class Real>
class CudaBackend final : public Backend, public CudaTimings {
 public:
  CudaBackend(const ModelShape& shape, const std::vector<double>& params)
      : shape_(shape), layout_(make_param_layout(shape)), pinned_(1) {
    CUCNF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    theta_.reserve(layout_.total);
    set_params(params);
    int device = 0;
    cudaDeviceProp prop{};
    CUCNF_CUDA_CHECK(cudaGetDevice(&device));
    CUCNF_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    description_ = std::string(prop.name) + " (CUDA sm_" + std::to_string(prop.major) +
                   std::to_string(prop.minor) + ", " + (sizeof(Real) == 4 ? "float32" : "float64") +
                   ")";
  }
  ~CudaBackend() override {
    // The last train_step's Adam kernel (or any enqueued work) may still use the buffers that
    // the members' destructors free: wait for the stream first. Errors cannot be reported here.
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
  }

  std::string description() const override { return description_; }

  void set_params(const std::vector<double>& params) override { upload(theta_.data(), params); }

  SolveStats solve(const double* z_start, std::size_t n, const std::vector<double>& times,
                   const SolverOptions& options, double* out_z, double* out_l,
                   const std::string& label) override {
    const int D = layout_.dim;
    const SolveDims dims = make_dims(checked_count(n), layout_, false, false, sizeof(Real));
    const Tableau& tab = tableau(options.method);
    const std::size_t outputs = times.size() - 1, state = n * (D + 1);
    SolveBuffers<Real> b = cnf_.prepare(dims, layout_, tab, outputs, theta_.data());
    upload_points(b, z_start, n);
    const ControlParams params = control_params(options);
    CudaRk<Real> rk(b, dims, layout_, tab, params, pinned_.data(), stream_);
    Real* out = cnf_.outputs.data();
    rk.on_output([&](std::size_t index, const Real* y) {
      CUCNF_CUDA_CHECK(cudaMemcpyAsync(out + (index - 1) * state, y, state * sizeof(Real),
                                       cudaMemcpyDeviceToDevice, stream_));
    });
    const SolveStats stats = integrate(rk, params, times, options.step_size, label);
    std::vector<Real> host(state * outputs);
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(host.data(), out, host.size() * sizeof(Real),
                                     cudaMemcpyDeviceToHost, stream_));
    CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    for (std::size_t o = 0; o < outputs; ++o) {
      for (std::size_t i = 0; i < n; ++i) {
        const Real* src = host.data() + o * state + i * (D + 1);
        for (int j = 0; j < D; ++j) out_z[o * n * D + i * D + j] = double(src[j]);
        out_l[o * n + i] = double(src[D]);
      }
    }
    return stats;
  }

  GradientResult gradient(const double* x, std::size_t n, const FlowSpec& spec,
                          const SolverOptions& options,
                          const GradientOptions& gradient_options) override {
    const int N = checked_count(n);
    upload_points(forward_input(N, options), x, n);
    const DeviceGradient g = device_gradient(N, spec, options, gradient_options);
    GradientResult result;
    result.forward = g.forward;
    result.backward = g.backward;
    std::vector<Real> grad(layout_.total);
    double loss_sum = 0.0;
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(grad.data(), g.grad, grad.size() * sizeof(Real),
                                     cudaMemcpyDeviceToHost, stream_));
    CUCNF_CUDA_CHECK(
        cudaMemcpyAsync(&loss_sum, g.loss_sum, sizeof(double), cudaMemcpyDeviceToHost, stream_));
    CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    result.loss = loss_sum / double(n);
    check_finite_loss(result.loss);  // as the CPU backend: no gradient of a non-finite loss
    result.grad.assign(grad.begin(), grad.end());
    return result;
  }

  TrainStepResult train_step(const TrainStepRequest& r, const FlowSpec& spec) override {
    const int N = checked_count(r.n);
    const SolveBuffers<Real> input = forward_input(N, r.solver);
    if (r.batch) {
      upload_points(input, r.batch, r.n);
    } else {
      launch_rings_batch(input.y[0], N, r.data_seed, r.data_stream, stream_);
    }
    const DeviceGradient g = device_gradient(N, spec, r.solver, r.gradient);
    // The loss and a count of non-finite gradient entries come back together.
    CUCNF_CUDA_CHECK(cudaMemsetAsync(flag_.data(), 0, sizeof(unsigned int), stream_));
    launch_count_non_finite(g.grad, layout_.total, flag_.data(), stream_);
    double loss_sum = 0.0;
    unsigned int bad = 0;
    CUCNF_CUDA_CHECK(
        cudaMemcpyAsync(&loss_sum, g.loss_sum, sizeof(double), cudaMemcpyDeviceToHost, stream_));
    CUCNF_CUDA_CHECK(
        cudaMemcpyAsync(&bad, flag_.data(), sizeof(unsigned int), cudaMemcpyDeviceToHost, stream_));
    CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    const double loss = loss_sum / double(r.n);
    if (bad != 0 || !std::isfinite(loss)) {
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

  std::vector<double> params() override { return download(theta_.data(), layout_.total); }

  AdamState adam_state() override {
    ensure_adam_moments();
    AdamState s;
    s.m = download(adam_m_.data(), layout_.total);
    s.v = download(adam_v_.data(), layout_.total);
    return s;
  }

  void set_adam_state(const AdamState& state) override {
    ensure_adam_moments();
    upload(adam_m_.data(), state.m);
    upload(adam_v_.data(), state.v);
  }

  Timed timed_log_density(std::size_t n, std::uint64_t seed, const SolverOptions& options,
                          const FlowSpec& spec) override {
    if (layout_.dim != 2) throw Error(ErrorKind::invalid_argument, "rings data is 2-D");
    const int N = checked_count(n);
    const SolveBuffers<Real> b = forward_input(N, options);
    launch_rings_batch(b.y[0], N, seed, 0, stream_);
    const Tableau& tab = tableau(options.method);
    const ControlParams params = control_params(options);
    const SolveDims dims = make_dims(N, layout_, false, false, sizeof(Real));
    CudaRk<Real> rk(b, dims, layout_, tab, params, pinned_.data(), stream_);
    EventTimer timer(stream_);
    timer.start();
    Timed t;
    t.forward = integrate(rk, params, {spec.t1, spec.t0}, options.step_size, "density solve");
    t.milliseconds = timer.stop_ms();
    return t;
  }

  Timed timed_train_step(const TrainStepRequest& request, const FlowSpec& spec) override {
    EventTimer timer(stream_);
    timer.start();
    const TrainStepResult r = train_step(request, spec);
    Timed t;
    t.milliseconds = timer.stop_ms();  // the Adam update included
    t.forward = r.forward;
    t.backward = r.backward;
    t.loss = r.loss;
    return t;
  }

  double timed_stage_kernel(std::size_t n, int launches) override {
    if (layout_.dim != 2) throw Error(ErrorKind::invalid_argument, "rings data is 2-D");
    const int N = checked_count(n);
    SolverOptions options;  // dopri5
    const Tableau& tab = tableau(options.method);
    const ControlParams params = control_params(options);
    const SolveDims dims = make_dims(N, layout_, false, false, sizeof(Real));
    const SolveBuffers<Real> b = forward_input(N, options);
    launch_rings_batch(b.y[0], N, 7, 0, stream_);
    // A real starting state: k_0 and a first step from Hairer's heuristic, then the stage
    // parameters of the first attempt.
    CudaRk<Real> rk(b, dims, layout_, tab, params, pinned_.data(), stream_);
    rk.start(10.0, 0.0, 0.0);
    launch_hyper_forward(b, layout_, tab, StageMode::attempt, stream_);
    launch_stage(b, dims, layout_, tab, params, StageMode::attempt, 1, stream_);  // warm-up
    EventTimer timer(stream_);
    timer.start();
    for (int i = 0; i < launches; ++i)
      launch_stage(b, dims, layout_, tab, params, StageMode::attempt, 1, stream_);
    return timer.stop_ms() / launches;
  }

  std::string timing_device() const override { return description_; }

 private:
  struct DeviceGradient {
    SolveStats forward, backward;
    const Real* grad;        // on the device, layout of the parameters
    const double* loss_sum;  // on the device: sum of the per-sample losses
  };

  // Prepares the density solve's workspace; the caller fills y[0] with the points.
  SolveBuffers<Real> forward_input(int n, const SolverOptions& options) {
    const SolveDims dims = make_dims(n, layout_, false, false, sizeof(Real));
    return cnf_.prepare(dims, layout_, tableau(options.method), 0, theta_.data());
  }

  void upload_points(const SolveBuffers<Real>& b, const double* x, std::size_t n) {
    const int D = layout_.dim;
    std::vector<Real> host(n * (D + 1), Real(0));
    for (std::size_t i = 0; i < n; ++i)
      for (int j = 0; j < D; ++j) host[i * (D + 1) + j] = Real(x[i * D + j]);
    // From pageable memory the copy is staged before cudaMemcpyAsync returns: `host` may go.
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(b.y[0], host.data(), host.size() * sizeof(Real),
                                     cudaMemcpyHostToDevice, stream_));
  }

  // Forward density solve from the points in the CNF workspace's y[0], then the continuous
  // adjoint back from t0 to t1. Leaves the gradient and the summed loss on the device.
  DeviceGradient device_gradient(int N, const FlowSpec& spec, const SolverOptions& options,
                                 const GradientOptions& gradient_options) {
    if (gradient_options.adjoint == Adjoint::discrete) return discrete_gradient(N, spec, options);
    const int D = layout_.dim;
    const Tableau& tab = tableau(options.method);
    DeviceGradient result{};
    const SolveDims fdims = make_dims(N, layout_, false, false, sizeof(Real));
    SolveBuffers<Real> fb = cnf_.prepare(fdims, layout_, tab, 0, theta_.data());
    const ControlParams fparams = control_params(options);
    CudaRk<Real> forward(fb, fdims, layout_, tab, fparams, pinned_.data(), stream_);
    result.forward =
        integrate(forward, fparams, {spec.t1, spec.t0}, options.step_size, "density solve");

    // Augmented state at t0, and the loss.
    const SolveDims adims = make_dims(N, layout_, true, !gradient_options.seminorm, sizeof(Real));
    SolveBuffers<Real> ab = adjoint_.prepare(adims, layout_, tab, 0, theta_.data());
    nll_.reserve(std::size_t(N) + 1);
    const size_t scratch_bytes = sum_scratch_bytes(N);
    sum_scratch_.reserve(scratch_bytes);
    launch_adjoint_init(forward.state(), ab.y[0], nll_.data(), N, D, spec.base_variance, stream_);
    launch_sum(nll_.data(), nll_.data() + N, N, sum_scratch_.data(), scratch_bytes, stream_);
    CUCNF_CUDA_CHECK(cudaMemsetAsync(ab.theta[0], 0, layout_.total * sizeof(Real), stream_));

    const double rtol =
        gradient_options.adjoint_rtol > 0 ? gradient_options.adjoint_rtol : options.rtol;
    const double atol =
        gradient_options.adjoint_atol > 0 ? gradient_options.adjoint_atol : options.atol;
    const ControlParams aparams = control_params(options, rtol, atol);
    CudaRk<Real> backward(ab, adims, layout_, tab, aparams, pinned_.data(), stream_);
    try {
      result.backward =
          integrate(backward, aparams, {spec.t0, spec.t1}, options.step_size, "adjoint solve");
    } catch (const Error& e) {
      // A non-finite loss makes the adjoint solve fail; report the cause, not the symptom.
      // CUDA failures are rethrown as they are.
      if (e.kind() == ErrorKind::cuda_failure) throw;
      double loss_sum = 0.0;
      CUCNF_CUDA_CHECK(cudaMemcpyAsync(&loss_sum, nll_.data() + N, sizeof(double),
                                       cudaMemcpyDeviceToHost, stream_));
      CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
      check_finite_loss(loss_sum);
      throw;
    }
    result.grad = backward.theta_state();
    result.loss_sum = nll_.data() + N;
    return result;
  }

  // The exact discrete adjoint: the forward solve records its accepted steps; then, last step
  // first, each step's stages are replayed (stage_kernel, keeping the stage inputs) and their
  // cotangents pulled back through the field (stage_kernel in vjp mode on [Y_s, kbar_s]) and the
  // hypernetwork (hyper_backward), as host/cpu/discrete_adjoint.cpp does on the CPU.
  DeviceGradient discrete_gradient(int N, const FlowSpec& spec, const SolverOptions& options) {
    const int D = layout_.dim, E = D + 1;
    const std::size_t state = std::size_t(N) * E;
    const Tableau& tab = tableau(options.method);
    const int S = tab.stages;
    const bool separate_fsal = tab.fsal && !tab.b_is_last_stage;
    DeviceGradient result{};

    // Forward, recording.
    const SolveDims fdims = make_dims(N, layout_, false, false, sizeof(Real));
    SolveBuffers<Real> fb = cnf_.prepare(fdims, layout_, tab, 0, theta_.data());
    if (separate_fsal) {
      fsal_[0].reserve(state);
      fsal_[1].reserve(state);
      fb.fsal_point[0] = fsal_[0].data();
      fb.fsal_point[1] = fsal_[1].data();
    }
    recorder_.reset(state, separate_fsal);
    const ControlParams fparams = control_params(options);
    CudaRk<Real> forward(fb, fdims, layout_, tab, fparams, pinned_.data(), stream_);
    forward.record_steps(&recorder_);
    result.forward =
        integrate(forward, fparams, {spec.t1, spec.t0}, options.step_size, "density solve");
    const int steps = int(result.forward.accepted);

    // Cotangents of the end state and the loss.
    bars_.reserve(state * (S + 2));
    Real* y_bar = bars_.data();
    Real* p_bar = y_bar + state;
    Real* stage_bars = p_bar + state;
    nll_.reserve(std::size_t(N) + 1);
    const size_t scratch_bytes = sum_scratch_bytes(N);
    sum_scratch_.reserve(scratch_bytes);
    launch_discrete_init(forward.state(), y_bar, nll_.data(), N, D, spec.base_variance, stream_);
    launch_sum(nll_.data(), nll_.data() + N, N, sum_scratch_.data(), scratch_bytes, stream_);
    CUCNF_CUDA_CHECK(cudaMemsetAsync(p_bar, 0, state * sizeof(Real), stream_));
    grad_.reserve(layout_.total);
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
    replay_controls_.reserve(std::max(steps, 1));
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(replay_controls_.data(), controls.data(),
                                     controls.size() * sizeof(StepControl), cudaMemcpyHostToDevice,
                                     stream_));

    // Workspaces: the replay (CNF layout, keeping stage inputs) and the VJPs (adjoint layout,
    // reading the replay's stage parameters).
    SolveBuffers<Real> rb = replay_.prepare(fdims, layout_, tab, 0, theta_.data());
    stage_inputs_.reserve(state * S);
    rb.stage_inputs = stage_inputs_.data();
    const SolveDims vdims = make_dims(N, layout_, true, false, sizeof(Real));
    SolveBuffers<Real> vb = adjoint_.prepare(vdims, layout_, tab, 0, theta_.data());
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
        launch_pack_cotangent(rb.stage_inputs + std::size_t(s) * state, y_bar, stage_bars, tab, dt,
                              s, N, E, vb.y[0], stream_);
        launch_stage(vb, vdims, layout_, tab, none, StageMode::vjp, s, stream_);
        launch_hyper_backward(vb, vdims, layout_, tab, StageMode::vjp, s, stream_);
        launch_subtract(grad_.data(), vb.k_theta, layout_.total, stream_);
        launch_unpack_vjp(vb.k, s == S - 1 && tab.fsal ? p_bar : nullptr, N, E,
                          stage_bars + std::size_t(s) * state, stream_);
      }
      launch_step_back(y_bar, p_bar, stage_bars, S, tab.fsal && m > 0,
                       static_cast<long long>(state), stream_);
    }
    result.backward.accepted = steps;
    result.backward.nfe = 2LL * S * steps;  // replayed stages and their VJPs
    result.grad = grad_.data();
    result.loss_sum = nll_.data() + N;
    return result;
  }

  void ensure_adam_moments() {
    if (adam_m_.capacity() >= std::size_t(layout_.total)) return;
    adam_m_.reserve(layout_.total);
    adam_v_.reserve(layout_.total);
    CUCNF_CUDA_CHECK(cudaMemsetAsync(adam_m_.data(), 0, layout_.total * sizeof(Real), stream_));
    CUCNF_CUDA_CHECK(cudaMemsetAsync(adam_v_.data(), 0, layout_.total * sizeof(Real), stream_));
  }

  std::vector<double> download(const Real* device, std::size_t count) {
    std::vector<Real> host(count);
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(host.data(), device, count * sizeof(Real),
                                     cudaMemcpyDeviceToHost, stream_));
    CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return std::vector<double>(host.begin(), host.end());
  }

  void upload(Real* device, const std::vector<double>& values) {
    const std::vector<Real> host(values.begin(), values.end());
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(device, host.data(), host.size() * sizeof(Real),
                                     cudaMemcpyHostToDevice, stream_));
    CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  static int checked_count(std::size_t n) {
    if (n > std::size_t(1) << 30)
      throw Error(
          ErrorKind::invalid_argument,
          "at most 2^30 points per call on the CUDA backend (got " + std::to_string(n) + ")");
    return int(n);
  }

  ModelShape shape_;
  ParamLayout layout_;
  cudaStream_t stream_ = nullptr;
  DeviceBuffer<Real> theta_, adam_m_, adam_v_;
  DeviceBuffer<unsigned int> flag_{1};
  PinnedBuffer<StepControl> pinned_;
  SolveWorkspace<Real> cnf_, adjoint_, replay_;
  // Discrete adjoint.
  StepRecorder<Real> recorder_;
  DeviceBuffer<Real> fsal_[2], stage_inputs_, bars_, grad_;
  DeviceBuffer<StepControl> replay_controls_;
  DeviceBuffer<double> nll_;
  DeviceBuffer<unsigned char> sum_scratch_;
  std::string description_;
};

}  // namespace

CudaTimings* cuda_timings(Backend& backend) {
  return dynamic_cast<CudaTimings*>(&backend);
}

std::unique_ptr<Backend> make_cuda_backend(const ModelShape& shape,
                                           const std::vector<double>& params, Precision precision) {
  if (cuda_device_count() == 0)
    throw Error(ErrorKind::cuda_unavailable, "no usable CUDA device for the CUDA backend");
  if (precision == Precision::float64) return std::make_unique<CudaBackend<double>>(shape, params);
  return std::make_unique<CudaBackend<float>>(shape, params);
}

}  // namespace cucnf::detail
