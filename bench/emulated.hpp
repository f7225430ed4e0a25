// cucnf-bench's report on the emulated device: structural figures instead of timings.
#pragma once

#include "cucnf/cucnf.hpp"

namespace cucnf::bench {

/// Prints launches per attempt, host syncs, bytes copied and allocations of a training iteration
/// and a density solve, measured by the CPU execution layer's counters.
void print_emulated_structure(const Model& model, Precision precision);

}  // namespace cucnf::bench
