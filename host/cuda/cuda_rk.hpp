// CudaRk<Real>: the step driver's Ops (core/integrate.hpp) on the device. It enqueues step
// attempts on the solve's stream (as CUDA graph launches when given AttemptGraphs) and reads the
// controller back only when the driver polls, after batches of attempts sized by an AttemptPlan
// (cuda/attempt_plan.hpp), or exactly for fixed steps.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>

#include "core/control_params.hpp"
#include "core/param_layout.hpp"
#include "core/step_control.hpp"
#include "core/tableau.hpp"
#include "cuda/attempt_graphs.hpp"
#include "cuda/attempt_plan.hpp"
#include "cuda/step_recorder.hpp"
#include "rk_kernels.hpp"

namespace cucnf::detail {

template <class Real>
class CudaRk {
 public:
  /// `pinned` is page-locked host memory for the controller's copies.
  CudaRk(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l, const Tableau& tab,
         const ControlParams& p, StepControl* pinned, cudaStream_t stream)
      : b_(b), d_(d), l_(l), tab_(tab), p_(p), host_(pinned), stream_(stream) {}

  void on_output(std::function<void(std::size_t, const Real*)> fn) { on_output_ = std::move(fn); }
  /// Records every accepted step (the buffers' fsal_point must be set for methods whose FSAL
  /// point differs from the state).
  void record_steps(StepRecorder<Real>* recorder) { recorder_ = recorder; }
  /// Replays batches of attempts as CUDA graphs kept in `graphs` (the workspace's, so that they
  /// outlive this solve). Not while recording steps (the record grows between attempts).
  void use_graphs(AttemptGraphs* graphs) {
    // The legacy default stream cannot be captured.
    const bool legacy = stream_ == nullptr || stream_ == cudaStreamLegacy;
    graphs_ = legacy ? nullptr : graphs;
  }
  /// Sizes the batches of attempts from the last solve of `plan`'s kind (which this solve then
  /// updates); without a plan every solve sizes them as a first one.
  void plan_attempts(AttemptPlan* plan) { plan_ = plan; }
  /// Work to enqueue before every poll's synchronisation (after the controller's copy), whose
  /// results the host reads after the poll: read-backs that share the poll's synchronisation.
  void read_back_with_poll(std::function<void()> fn) { read_back_ = std::move(fn); }

  void start(double t0, double t_end, double step_size);
  /// Enqueues an attempt (with graphs: queues it until the next poll or segment).
  void attempt();
  StepControl poll();
  /// The next batch of attempts: the steps left for a fixed-step method, else the AttemptPlan's
  /// (an attempt issued after the segment ends costs a few empty launches, a poll a
  /// synchronisation).
  int attempts_per_poll() const;
  void next_segment(double t_end);
  void record_output(std::size_t index);

  /// The current state buffer (valid after a poll).
  const Real* state() const { return b_.y[host_->buf]; }
  const Real* theta_state() const { return b_.theta[host_->buf]; }

 private:
  void upload();
  void enqueue_attempt();
  /// Launches the queued attempts as graphs.
  void flush();
  /// Whole attempts in one kernel (the shape allows it, and no stage inputs or separate FSAL
  /// points are kept for a discrete adjoint).
  bool whole_attempt() const {
    return d_.group_lanes > 0 && b_.stage_inputs == nullptr && b_.fsal_point[0] == nullptr;
  }
  void evaluate(StageMode mode, int stage);
  std::size_t state_bytes() const { return std::size_t(d_.n) * d_.elems * sizeof(Real); }

  SolveBuffers<Real> b_;
  SolveDims d_;
  ParamLayout l_;
  const Tableau& tab_;
  ControlParams p_;
  StepControl* host_;
  cudaStream_t stream_;
  std::function<void(std::size_t, const Real*)> on_output_;
  StepRecorder<Real>* recorder_ = nullptr;
  AttemptPlan* plan_ = nullptr;
  std::function<void()> read_back_;
  int pending_ = 0;  // attempts enqueued since the last poll
  AttemptGraphs* graphs_ = nullptr;
  int queued_ = 0;  // attempts not yet launched (graphs)
  // The current segment: its index, the attempts made before it, whether it has been polled.
  std::size_t segment_ = 0;
  long long segment_first_ = 0;
  bool segment_polled_ = false;
};

extern template class CudaRk<float>;
extern template class CudaRk<double>;

}  // namespace cucnf::detail
