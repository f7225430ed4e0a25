// simt stand-in for cub::BlockReduce (the real CUB does not compile with a host compiler).
// Same interface for what cucnf uses (TempStorage, Sum, Reduce) and the same contract: every
// thread of the block calls it, the result is valid in thread 0 only, and reusing TempStorage
// needs a __syncthreads() in between (none is hidden at the end, as in CUB). Deterministic: the
// threads' values are combined in thread order.
#pragma once

#include <cuda_runtime.h>

#include <string>

namespace cub {

enum BlockReduceAlgorithm {
  BLOCK_REDUCE_RAKING_COMMUTATIVE_ONLY,
  BLOCK_REDUCE_RAKING,
  BLOCK_REDUCE_WARP_REDUCTIONS,
};

template <class T, int BLOCK_DIM_X, BlockReduceAlgorithm ALGORITHM = BLOCK_REDUCE_WARP_REDUCTIONS,
          int BLOCK_DIM_Y = 1, int BLOCK_DIM_Z = 1>
class BlockReduce {
  static constexpr int kThreads = BLOCK_DIM_X * BLOCK_DIM_Y * BLOCK_DIM_Z;

 public:
  struct TempStorage {
    T slots[kThreads];
  };

  explicit BlockReduce(TempStorage& storage) : storage_(storage) {}

  T Sum(T value, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    return Reduce(
        value, [](const T& a, const T& b) { return a + b; }, kThreads, file, line);
  }
  T Sum(T value, int valid, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    return Reduce(
        value, [](const T& a, const T& b) { return a + b; }, valid, file, line);
  }
  template <class Op>
  T Reduce(T value, Op op, int valid = kThreads, const char* file = __builtin_FILE(),
           int line = __builtin_LINE()) {
    if (int(blockDim.x * blockDim.y * blockDim.z) != kThreads)
      simt::fail(std::string(file) + ":" + std::to_string(line) + ": cub::BlockReduce for " +
                 std::to_string(kThreads) + " threads used in a block of " +
                 std::to_string(blockDim.x * blockDim.y * blockDim.z));
    const int me = int(threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z));
    storage_.slots[me] = value;
    __syncthreads(file, line);
    if (me != 0) return value;
    T acc = storage_.slots[0];
    for (int i = 1; i < valid && i < kThreads; ++i) acc = op(acc, storage_.slots[i]);
    return acc;
  }

 private:
  TempStorage& storage_;
};

}  // namespace cub
