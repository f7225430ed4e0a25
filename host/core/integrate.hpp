// The step driver: one loop for every solve on every backend.
//
// A backend supplies "Ops" for one system (the CNF state, or the adjoint's augmented state):
//   void start(double t0, double t_end, double step_size);  // k_0, first step, controller
//   void attempt();             // one step attempt; a no-op once the segment is done
//   StepControl poll();         // the controller state (the CUDA backend synchronises here)
//   int attempts_per_poll();    // how many attempts to issue before the next poll
//   void next_segment(double t_end);
//   void record_output(std::size_t index);  // the state has just reached times[index]
// The driver walks the output times, turns a failed controller status into a cucnf::Error
// that names t and h, and returns the solve's statistics. It polls only after a batch of
// attempts: never before the first (an attempt after a failed start or segment is a no-op, and
// the poll after it reports the failure) and not again at the end (the last poll's controller
// holds the statistics), so a solve that takes one batch per segment polls once per segment.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/step_control.hpp"
#include "cucnf/error.hpp"
#include "cucnf/solver.hpp"

namespace cucnf::detail {

/// Throws the Error that a failed controller status stands for.
[[noreturn]] void throw_solve_failure(const StepControl& c, const ControlParams& p,
                                      const std::string& label);

/// Checks that `times` has at least two strictly monotone, finite entries.
void validate_times(const std::vector<double>& times);

template <class Ops>
SolveStats integrate(Ops& ops, const ControlParams& params, const std::vector<double>& times,
                     double step_size, const std::string& label) {
  validate_times(times);
  ops.start(times[0], times[1], step_size);
  StepControl c;
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (i > 1) ops.next_segment(times[i]);
    do {
      const int attempts = ops.attempts_per_poll();
      for (int a = 0; a < attempts; ++a) ops.attempt();
      c = ops.poll();
    } while (c.status == kRunning);
    if (c.status != kSegmentDone) throw_solve_failure(c, params, label);
    ops.record_output(i);
  }
  SolveStats stats;
  stats.nfe = c.nfe;
  stats.accepted = c.accepted;
  stats.rejected = c.rejected;
  return stats;
}

}  // namespace cucnf::detail
