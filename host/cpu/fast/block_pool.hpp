// A small persistent thread pool for the CPU kernel's blocks.
//
// Why not an OpenMP parallel-for: its closing barrier waits for every thread of the team, and
// on a busy machine a worker that the scheduler has not run yet holds each barrier for a time
// slice (measured on this project's 2-core machine with other work on it: log p of 1e4 points
// took 630 ms instead of about 150). Here the caller claims blocks too, from one atomic
// counter, and waits only for blocks that were claimed: a worker that wakes late finds nothing
// left and goes back to sleep. Which thread runs a block never changes a result (blocks write
// disjoint outputs and their sums are added in block order by the caller).
//
// A training iteration of the demo hands the pool a few jobs of 5-60 us per step attempt, more
// than 500 an iteration: a worker that took part in a job polls for the next one for 200 us
// before it sleeps (waking a sleeping thread costs 10-50 us); a job of b blocks involves only
// the first b - 1 workers, and the others sleep until a larger job comes.
#pragma once

#include <cstddef>
#include <type_traits>

namespace cucnf::detail {

/// A callable void(std::size_t) by reference: unlike std::function it never allocates (the
/// lambdas of a step attempt capture more than its small buffer). Valid while the callable
/// lives, which parallel_blocks' callers ensure: it returns only when every block is done.
class BlockFnRef {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, BlockFnRef>>>
  BlockFnRef(const F& f)  // NOLINT(google-explicit-constructor): passed as a lambda
      : object_(&f), call_([](const void* o, std::size_t i) { (*static_cast<const F*>(o))(i); }) {}
  void operator()(std::size_t i) const { call_(object_, i); }

 private:
  const void* object_;
  void (*call_)(const void*, std::size_t);
};

/// Runs fn(0) ... fn(blocks - 1) on the calling thread and the pool's workers; returns when
/// all are done. Calls from several threads at once take turns. If blocks throw, every block
/// still runs and the first exception is rethrown here.
void parallel_blocks(std::size_t blocks, BlockFnRef fn);

/// Threads that parallel_blocks uses (the caller included): CUCNF_CPU_THREADS if set, else the
/// hardware's.
int cpu_threads();

/// Changes the number of threads (0: back to the default); for tests and benchmarks.
void set_cpu_threads(int threads);

}  // namespace cucnf::detail
