// simt: a CPU execution layer for CUDA C++, used to test cucnf's CUDA backend without a GPU.
//
// This header is the layer's own interface: the schedule and stream mode (also set from the
// environment: SIMT_SCHEDULE=fifo|reverse|random[:seed], SIMT_STREAMS=deferred|eager,
// SIMT_DEVICE_COUNT=0|1), the counters tests and cucnf-bench read, and the entry points that the
// stand-in CUDA headers (cuda_runtime.h, cub/...) call. See tests/simt/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "cuda_runtime_api.h"

namespace simt {

/// The order in which ready threads of a block run, and blocks of a grid. `drift` always runs the
/// ready thread with the lowest index, so the first warp runs ahead through every warp collective
/// until a block barrier stops it: warps drift apart as far as a GPU lets them, which is what a
/// missing __syncthreads between two phases of a block needs to show (blocks in order).
enum class Order { fifo, reverse, random, drift };

struct Schedule {
  Order order = Order::fifo;
  std::uint64_t seed = 0;  ///< for Order::random
};

/// Parses "fifo", "reverse", "random", "random:SEED" or "drift"; throws std::invalid_argument.
Schedule parse_schedule(const std::string& text);
std::string schedule_name(const Schedule& s);
void set_schedule(const Schedule& s);
Schedule schedule();

/// deferred: stream work runs when something synchronises (as a GPU may); eager: at once.
enum class StreamMode { deferred, eager };
void set_stream_mode(StreamMode mode);
StreamMode stream_mode();

/// What the emulated device did since the last reset. Work a stream captures is counted only
/// in the graph counters, each time a graph launch runs it; stream operations outside capture
/// keep their own counters (so `launches` is never a graph's kernel).
struct Counters {
  std::uint64_t launches = 0;  ///< kernels launched on a stream, not captured (CUB's device
                               ///< calls count their kernels)
  std::uint64_t blocks = 0;    ///< thread blocks run (launched or by a graph)
  std::uint64_t host_syncs =
      0;  ///< host waits: stream/device/event synchronisation, blocking copies
  std::uint64_t allocations = 0;     ///< cudaMalloc calls
  std::uint64_t frees = 0;           ///< cudaFree calls
  std::uint64_t memsets = 0;         ///< cudaMemset(Async) calls, not captured
  std::uint64_t bytes_h2d = 0;       ///< bytes copied host to device (by a call or a graph node)
  std::uint64_t bytes_d2h = 0;       ///< bytes copied device to host (by a call or a graph node)
  std::uint64_t bytes_d2d = 0;       ///< bytes copied device to device (by a call or a graph node)
  std::uint64_t bytes_pageable = 0;  ///< of bytes_h2d and bytes_d2h: from or to pageable memory
  std::uint64_t fiber_switches = 0;  ///< scheduler switches into CUDA threads
  std::uint64_t graph_launches = 0;  ///< cudaGraphLaunch calls
  std::uint64_t graph_nodes = 0;  ///< nodes graph launches ran, of every type: a conditional node
                                  ///< once each time it is reached, its body's nodes each time
                                  ///< they run
  std::uint64_t graph_kernel_nodes = 0;  ///< kernel nodes graph launches ran (in graph_nodes)
  std::uint64_t conditional_bodies = 0;  ///< body graphs conditional nodes ran (WHILE iterations)
};
Counters counters();
void reset_counters();

/// What kind of memory a pointer is in.
enum class MemoryKind { pageable, device, pinned };
MemoryKind memory_kind(const void* p);

/// The layer's own error: reports a CUDA program error (a barrier divergence, a deadlock, a
/// hazard) with its file:line and stops the process, as a GPU's fault stops a kernel.
[[noreturn]] void fail(const std::string& message);

namespace detail {

/// Runs `body` as every thread of every block of `config`'s grid (on the stream, deferred).
/// `args` and `args_size` are the packed kernel arguments, scanned for the device allocations
/// the launch uses (so freeing one of them while the launch is pending is reported).
cudaError_t launch(const cudaLaunchConfig_t* config, const void* kernel, std::function<void()> body,
                   const void* args, std::size_t args_size);

/// The calling CUDA thread's block's dynamic shared memory (NaN-filled, exact size, a guard
/// page right after it).
unsigned char* dynamic_shared();

void syncthreads(const char* file, int line);

enum class WarpOp : std::uint8_t {
  syncwarp,
  shfl_idx,
  shfl_up,
  shfl_down,
  shfl_xor,
  ballot,
  any,
  all
};
/// A warp collective: `bits` is the lane's value (shuffles: up to 8 bytes; ballot/any/all: the
/// predicate); returns the lane's result bits.
std::uint64_t warp_collective(WarpOp op, unsigned mask, std::uint64_t bits, int arg, int width,
                              const char* file, int line);

}  // namespace detail
}  // namespace simt
