// CudaBackend's bench-only timings (cuda_timings.hpp): density solves, training steps and the
// stage kernel between CUDA events on the backend's stream, for cucnf-bench.
#include "cuda/cuda_timings.hpp"

#include <cuda_runtime_api.h>

#include "core/control_params.hpp"
#include "core/integrate.hpp"
#include "cuda/cuda_backend.hpp"
#include "cuda/cuda_rk.hpp"
#include "cuda/launch_shape.hpp"
#include "cuda_check.hpp"
#include "train_kernels.hpp"

namespace cucnf::detail {
namespace {

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

}  // namespace

CudaTimings* cuda_timings(Backend& backend) {
  return dynamic_cast<CudaTimings*>(&backend);
}

template <class Real>
CudaTimings::Timed CudaBackend<Real>::timed_log_density(std::size_t n, std::uint64_t seed,
                                                        const SolverOptions& options,
                                                        const FlowSpec& spec) {
  if (layout_.dim != 2) throw Error(ErrorKind::invalid_argument, "rings data is 2-D");
  const int N = checked_count(n);
  const SolveBuffers<Real> b = forward_input(N, options);
  launch_rings_batch(b.y[0], N, seed, 0, stream_);
  const Tableau& tab = tableau(options.method);
  const ControlParams params = control_params(options);
  const SolveDims dims = make_dims(N, layout_, false, false, sizeof(Real));
  CudaRk<Real> rk(b, dims, layout_, tab, params, pinned_.data(), stream_);
  rk.use_graphs(&cnf_.graphs);
  rk.plan_attempts(&plans_.density);
  EventTimer timer(stream_);
  timer.start();
  Timed t;
  t.forward = integrate(rk, params, {spec.t1, spec.t0}, options.step_size, "density solve");
  t.milliseconds = timer.stop_ms();
  return t;
}

template <class Real>
CudaTimings::Timed CudaBackend<Real>::timed_train_step(const TrainStepRequest& request,
                                                       const FlowSpec& spec) {
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

template <class Real>
double CudaBackend<Real>::timed_stage_kernel(std::size_t n, int launches) {
  if (layout_.dim != 2) throw Error(ErrorKind::invalid_argument, "rings data is 2-D");
  const int N = checked_count(n);
  SolverOptions options;  // dopri5
  const Tableau& tab = tableau(options.method);
  const ControlParams params = control_params(options);
  const SolveDims dims = make_dims(N, layout_, false, false, sizeof(Real));
  const SolveBuffers<Real> b = forward_input(N, options);
  launch_rings_batch(b.y[0], N, 7, 0, stream_);
  // A real starting state: k_0 and a first step from Hairer's heuristic.
  CudaRk<Real> rk(b, dims, layout_, tab, params, pinned_.data(), stream_);
  rk.start(10.0, 0.0, 0.0);
  EventTimer timer(stream_);
  if (dims.group_lanes > 0) {
    // Whole attempts (hyper_forward, then the attempt kernel that also finishes the step), each
    // rejected without changing the step (no tolerance is met, and dfactor = 1): the same work
    // every time. Per stage evaluation.
    ControlParams repeat = params;
    repeat.rtol = repeat.atol = 1e-300;
    repeat.dfactor = 1.0;
    CudaRk<Real> again(b, dims, layout_, tab, repeat, pinned_.data(), stream_);
    again.attempt();  // warm-up
    timer.start();
    for (int i = 0; i < launches; ++i) again.attempt();
    return timer.stop_ms() / (launches * tab.evals_per_attempt());
  }
  // The stage kernel's second stage of dopri5, with the parameters of the first attempt.
  launch_hyper_forward(b, layout_, tab, StageMode::attempt, stream_);
  launch_stage(b, dims, layout_, tab, params, StageMode::attempt, 1, stream_);  // warm-up
  timer.start();
  for (int i = 0; i < launches; ++i)
    launch_stage(b, dims, layout_, tab, params, StageMode::attempt, 1, stream_);
  return timer.stop_ms() / launches;
}

#define CUCNF_INSTANTIATE_TIMINGS(Real)                                                    \
  template CudaTimings::Timed CudaBackend<Real>::timed_log_density(                        \
      std::size_t, std::uint64_t, const SolverOptions&, const FlowSpec&);                  \
  template CudaTimings::Timed CudaBackend<Real>::timed_train_step(const TrainStepRequest&, \
                                                                  const FlowSpec&);        \
  template double CudaBackend<Real>::timed_stage_kernel(std::size_t, int);
CUCNF_INSTANTIATE_TIMINGS(float)
CUCNF_INSTANTIATE_TIMINGS(double)
#undef CUCNF_INSTANTIATE_TIMINGS

}  // namespace cucnf::detail
