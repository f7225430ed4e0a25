// CudaRk: a solve's start, step attempts, polls and segments as launches on its stream.
#include "cuda/cuda_rk.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cuda_check.hpp"
#include "discrete_adjoint.hpp"

namespace cucnf::detail {

template <class Real>
void CudaRk<Real>::start(double t0, double t_end, double step_size) {
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
  segment_ = 0;
  segment_first_ = 0;
  segment_polled_ = false;
  if (plan_) plan_->begin({&tab_, p_.rtol, p_.atol, step_size, t0, t_end});
  if (b_.fsal_point[0])  // the first step's k_0 is evaluated at the initial state
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(b_.fsal_point[0], b_.y[0], state_bytes(),
                                     cudaMemcpyDeviceToDevice, stream_));
  if (tab_.fsal || hairer) {
    evaluate(StageMode::initial, 0);
    launch_finalize(b_, d_, l_, tab_, p_, StageMode::initial, hairer, d_.warps, stream_);
    if (hairer) {
      evaluate(StageMode::probe, 0);
      launch_finalize(b_, d_, l_, tab_, p_, StageMode::probe, hairer, d_.warps, stream_);
    }
  }
}

template <class Real>
void CudaRk<Real>::attempt() {
  if (graphs_ && !recorder_) {
    ++queued_;
  } else {
    enqueue_attempt();
  }
}

template <class Real>
void CudaRk<Real>::flush() {
  if (queued_ == 0) return;
  // Everything the attempt's kernels take as arguments. The tableau is a static table: its
  // address names it.
  const Tableau* tab = &tab_;
  const std::vector<unsigned char> key =
      graph_key(b_, l_, tab, stream_, d_.n, d_.elems, d_.part0, d_.warps, d_.warps_per_block,
                d_.group_lanes, d_.attempt_threads, d_.attempt_blocks, d_.finalize_blocks,
                d_.adjoint, d_.theta_in_norm, p_.rtol, p_.atol, p_.safety, p_.ifactor, p_.dfactor,
                p_.min_step, p_.max_attempts, p_.order, p_.evals_per_attempt, p_.adaptive, p_.fsal);
  graphs_->launch(key, queued_, stream_, [this] { enqueue_attempt(); });
  queued_ = 0;
}

template <class Real>
void CudaRk<Real>::enqueue_attempt() {
  launch_hyper_forward(b_, l_, tab_, StageMode::attempt, stream_);
  if (whole_attempt()) {
    launch_attempt(b_, d_, l_, tab_, p_, stream_);  // the CNF's finishes the attempt
    if (d_.adjoint) {
      launch_hyper_backward_attempt(b_, d_, l_, tab_, stream_);
      launch_finalize(b_, d_, l_, tab_, p_, StageMode::attempt, false, d_.attempt_blocks, stream_);
    }
  } else {
    for (int s = tab_.fsal ? 1 : 0; s < tab_.stages; ++s) {
      launch_stage(b_, d_, l_, tab_, p_, StageMode::attempt, s, stream_);
      if (d_.adjoint) launch_hyper_backward(b_, d_, l_, tab_, StageMode::attempt, s, stream_);
    }
    launch_finalize(b_, d_, l_, tab_, p_, StageMode::attempt, false, d_.warps, stream_);
  }
  if (recorder_) {
    // Every attempt since the last poll may have been accepted.
    recorder_->ensure(int(host_->accepted) + ++pending_, stream_);
    launch_record_step(b_.ctl, b_.y, b_.fsal_point, recorder_->view(),
                       static_cast<long long>(d_.n) * d_.elems, stream_);
  }
}

template <class Real>
StepControl CudaRk<Real>::poll() {
  flush();
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(host_, b_.ctl, sizeof(StepControl), cudaMemcpyDeviceToHost, stream_));
  if (read_back_) read_back_();
  CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  pending_ = 0;
  segment_polled_ = true;
  // Attempts enqueued past the end changed nothing on the device: the counts are exact.
  const long long attempts = host_->accepted + host_->rejected;
  if (plan_ && host_->status == kSegmentDone) plan_->record(segment_, attempts - segment_first_);
  return *host_;
}

template <class Real>
int CudaRk<Real>::attempts_per_poll() const {
  if (!p_.adaptive) {
    // Fixed steps: every attempt is accepted, so the steps left are known exactly.
    StepControl c = *host_;
    int steps = 0;
    while (c.t != c.t_end && steps < AttemptPlan::kMaxBatch) {
      c.t = step_geometry(c).t_new;
      ++steps;
    }
    return std::max(steps, 1);
  }
  if (!segment_polled_) return plan_ ? plan_->first_batch(segment_) : AttemptPlan::kFirstGuess;
  return AttemptPlan::next_batch(*host_, host_->accepted + host_->rejected - segment_first_);
}

template <class Real>
void CudaRk<Real>::next_segment(double t_end) {
  flush();
  begin_segment(*host_, t_end);
  upload();
  ++segment_;
  segment_first_ = host_->accepted + host_->rejected;
  segment_polled_ = false;
}

template <class Real>
void CudaRk<Real>::record_output(std::size_t index) {
  if (on_output_) on_output_(index, b_.y[host_->buf]);
}

template <class Real>
void CudaRk<Real>::upload() {
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(b_.ctl, host_, sizeof(StepControl), cudaMemcpyHostToDevice, stream_));
}

template <class Real>
void CudaRk<Real>::evaluate(StageMode mode, int stage) {
  launch_hyper_forward(b_, l_, tab_, mode, stream_);
  launch_stage(b_, d_, l_, tab_, p_, mode, stage, stream_);
  if (d_.adjoint) launch_hyper_backward(b_, d_, l_, tab_, mode, stage, stream_);
}

template class CudaRk<float>;
template class CudaRk<double>;

}  // namespace cucnf::detail
