// AttemptPlan: how many step attempts the CUDA backend enqueues before it polls the controller.
//
// Every kernel of an attempt returns at once when the device-side controller says the solve is
// not running, so an attempt enqueued past the end of a segment costs only empty launches, while
// a poll costs a host synchronisation (design §6: ~15 µs each, against ~5 µs per launch). Solves
// of one kind with the same settings take about as many attempts each time (the iterations of a
// training run, repeated log p calls), so a plan remembers what each segment of the last such
// solve took and enqueues that many, and kSpare more, before the first poll: most solves then
// poll once. A poll that finds the segment still running enqueues enough attempts to finish it at
// the step size just read back, with as many rejections per accepted step as so far, times
// kRemainderFactor (steps often shrink towards the end: the adjoint's do), plus kSpare.
// Without history (a first solve, or new settings) the first batch is kFirstGuess and each later
// batch at most doubles the segment's attempts so far, so a first solve never queues many more
// attempts than it takes. No batch exceeds kMaxBatch.
#pragma once

#include <cstddef>
#include <vector>

#include "core/step_control.hpp"

namespace cucnf::detail {

class AttemptPlan {
 public:
  static constexpr int kFirstGuess = 16;
  static constexpr int kMaxBatch = 256;
  /// Attempts beyond the estimate: one rejected attempt absorbed without a second poll.
  static constexpr int kSpare = 1;
  /// Margin of a later batch (after a shortfall): a third poll of the segment would cost more
  /// than a few spare attempts.
  static constexpr double kRemainderFactor = 1.5;

  /// The settings that make two solves alike; history is kept only between equal keys.
  struct Key {
    const void* method = nullptr;  ///< the tableau
    double rtol = 0.0, atol = 0.0, step_size = 0.0, t0 = 0.0, t_end = 0.0;
    bool operator==(const Key& o) const {
      return method == o.method && rtol == o.rtol && atol == o.atol && step_size == o.step_size &&
             t0 == o.t0 && t_end == o.t_end;
    }
  };

  /// Starts a solve: forgets the history unless the last solve had the same key.
  void begin(const Key& key);
  /// Attempts to enqueue before the first poll of segment `segment`.
  int first_batch(std::size_t segment) const;
  /// Attempts to enqueue after a poll found `c` still running, `done` attempts into the segment.
  static int next_batch(const StepControl& c, long long done);
  /// Segment `segment` of this solve finished after `attempts` attempts.
  void record(std::size_t segment, long long attempts);

 private:
  Key key_;
  std::vector<long long> attempts_;  // per segment of the last solve with key_; 0: unknown
};

/// The plans of one backend, one per kind of solve.
struct AttemptPlans {
  AttemptPlan density;   ///< solve() towards t0 (log p)
  AttemptPlan sampling;  ///< solve() towards t1 (samples, trajectories)
  AttemptPlan gradient_forward;
  AttemptPlan adjoint;
};

}  // namespace cucnf::detail
