// Internal interface between the layer's runtime (streams, memory) and its block scheduler.
#pragma once

#include <cstddef>
#include <functional>

#include "simt/simt.hpp"

namespace simt::detail {

/// One kernel launch, ready to run.
struct Grid {
  dim3 grid, block;
  std::size_t shared_bytes = 0;
  std::function<void()> body;
};

/// Runs every block of the grid, one at a time, each thread a fiber (scheduler.cpp).
void run_grid(const Grid& grid);

/// The counters, for the runtime and the scheduler to add to.
Counters& mutable_counters();

}  // namespace simt::detail
