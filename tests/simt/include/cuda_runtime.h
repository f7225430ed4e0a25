// simt stand-in for cuda_runtime.h: what CUDA kernels see when a .cu file is compiled as C++
// against the CPU execution layer. Each CUDA thread of a block is a fiber; the block's threads
// run one at a time and switch only at collectives (__syncthreads, __syncwarp, shuffles,
// ballots), which the scheduler releases when every participant has arrived and checks
// (divergence, masks, exited lanes, deadlock), naming the kernel's file:line.
#pragma once

#include <math.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda_runtime_api.h"
#include "simt/simt.hpp"

// Execution-space keywords: kernels are plain functions; __shared__ variables are statics,
// shared by the block's fibers (blocks run one at a time).
#define __global__
#define __device__
#define __host__
#define __noinline__ __attribute__((noinline))
#define __forceinline__ inline __attribute__((always_inline))
#define __shared__ static
#define __constant__ static
#define __restrict__ __restrict
#define __align__(n) alignas(n)
#define __launch_bounds__(...)

// The running CUDA thread's coordinates, rewritten by the scheduler at every switch.
// (initial-exec TLS: libsimt is linked, never dlopen'ed, so its variables are a fixed offset.)
#define SIMT_TLS thread_local __attribute__((tls_model("initial-exec")))
extern SIMT_TLS uint3 threadIdx;
extern SIMT_TLS uint3 blockIdx;
extern SIMT_TLS dim3 blockDim;
extern SIMT_TLS dim3 gridDim;
constexpr int warpSize = 32;

inline void __syncthreads(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  simt::detail::syncthreads(file, line);
}

inline void __syncwarp(unsigned mask = 0xffffffffu, const char* file = __builtin_FILE(),
                       int line = __builtin_LINE()) {
  simt::detail::warp_collective(simt::detail::WarpOp::syncwarp, mask, 0, 0, 32, file, line);
}

namespace simt::detail {
template <class T>
inline T shuffle(WarpOp op, unsigned mask, T value, int arg, int width, const char* file,
                 int line) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "shuffle of up to 8 bytes");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  bits = warp_collective(op, mask, bits, arg, width, file, line);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}
}  // namespace simt::detail

template <class T>
inline T __shfl_sync(unsigned mask, T value, int src_lane, int width = 32,
                     const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simt::detail::shuffle(simt::detail::WarpOp::shfl_idx, mask, value, src_lane, width, file,
                               line);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T value, unsigned delta, int width = 32,
                        const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simt::detail::shuffle(simt::detail::WarpOp::shfl_up, mask, value, int(delta), width, file,
                               line);
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = 32,
                          const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simt::detail::shuffle(simt::detail::WarpOp::shfl_down, mask, value, int(delta), width,
                               file, line);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = 32,
                         const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simt::detail::shuffle(simt::detail::WarpOp::shfl_xor, mask, value, lane_mask, width, file,
                               line);
}
inline unsigned __ballot_sync(unsigned mask, int predicate, const char* file = __builtin_FILE(),
                              int line = __builtin_LINE()) {
  return unsigned(simt::detail::warp_collective(simt::detail::WarpOp::ballot, mask, predicate != 0,
                                                0, 32, file, line));
}
inline int __any_sync(unsigned mask, int predicate, const char* file = __builtin_FILE(),
                      int line = __builtin_LINE()) {
  return int(simt::detail::warp_collective(simt::detail::WarpOp::any, mask, predicate != 0, 0, 32,
                                           file, line));
}
inline int __all_sync(unsigned mask, int predicate, const char* file = __builtin_FILE(),
                      int line = __builtin_LINE()) {
  return int(simt::detail::warp_collective(simt::detail::WarpOp::all, mask, predicate != 0, 0, 32,
                                           file, line));
}

// Atomics: blocks and their threads run on one host thread, one at a time; a relaxed atomic
// keeps them correct if the host ever runs two streams' work concurrently.
template <class T>
inline T atomicAdd(T* address, T value) {
  return __atomic_fetch_add(address, value, __ATOMIC_RELAXED);
}
inline float atomicAdd(float* address, float value) {
  const float old = *address;
  *address = old + value;
  return old;
}
inline double atomicAdd(double* address, double value) {
  const double old = *address;
  *address = old + value;
  return old;
}
template <class T>
inline T atomicMax(T* address, T value) {
  const T old = *address;
  *address = std::max(old, value);
  return old;
}
template <class T>
inline T atomicExch(T* address, T value) {
  return __atomic_exchange_n(address, value, __ATOMIC_RELAXED);
}
inline void __threadfence() {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

// The device runtime's graph call: sets the value of a conditional node's handle, from a kernel
// that a graph runs (cuda_device_runtime_api.h). Misuse stops the run (see README).
extern "C" void cudaGraphSetConditional(cudaGraphConditionalHandle handle, unsigned int value);

// CUDA's global min/max overloads for device code.
using std::max;
using std::min;

/// CUDA's launch template (cuda_runtime.h): the arguments are converted to the kernel's
/// parameter types and kept until the stream runs the launch.
template <class... ExpTypes, class... ActTypes>
inline cudaError_t cudaLaunchKernelEx(const cudaLaunchConfig_t* config, void (*kernel)(ExpTypes...),
                                      ActTypes&&... args) {
  using Args = std::tuple<std::decay_t<ExpTypes>...>;
  auto packed = std::make_shared<Args>(std::forward<ActTypes>(args)...);
  const Args* raw = packed.get();
  return simt::detail::launch(
      config, reinterpret_cast<const void*>(kernel),
      [kernel, packed = std::move(packed)] { std::apply(kernel, *packed); }, raw, sizeof(Args));
}

// The typed overloads of cuda_runtime.h.
template <class T>
inline cudaError_t cudaMalloc(T** ptr, size_t size) {
  return ::cudaMalloc(reinterpret_cast<void**>(ptr), size);
}
template <class T>
inline cudaError_t cudaMallocHost(T** ptr, size_t size) {
  return ::cudaMallocHost(reinterpret_cast<void**>(ptr), size);
}
