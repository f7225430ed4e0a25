// Occupancy and kernel attributes on the CPU execution layer, from the H100's description:
// 2048 threads (64 warps) and 32 blocks per SM, 228 KB of shared memory per SM of which each
// block also takes 1 KB reserved, allocated in 128-byte units; a kernel launches with at most
// 48 KB of dynamic shared memory unless it opted in (cudaFuncSetAttribute).
//
// What the CPU cannot know: the compiled kernel's registers, local memory and static shared
// memory. cudaFuncGetAttributes reports them as 0, and the occupancy is limited by threads,
// blocks and dynamic shared memory only; nvcc builds check registers with the ptxas test
// (tests/ptxas, `ctest -L ptxas`).
#include <algorithm>
#include <cstddef>

#include "cuda_runtime.h"
#include "internal.hpp"

namespace {

constexpr int kMaxWarpsPerSm = 64;
constexpr int kMaxBlocksPerSm = 32;
constexpr int kMaxThreadsPerBlock = 1024;
constexpr std::size_t kSharedPerSm = 228 * 1024;
constexpr std::size_t kReservedPerBlock = 1024;
constexpr std::size_t kSharedUnit = 128;

}  // namespace

using namespace simt::detail;

extern "C" {

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(int* numBlocks, const void* func,
                                                                   int blockSize,
                                                                   size_t dynamicSMemSize,
                                                                   unsigned int flags) {
  Lock lock(api_mutex());
  if (!numBlocks || blockSize <= 0 || (flags & ~unsigned(cudaOccupancyDisableCachingOverride)))
    return set_error(cudaErrorInvalidValue, "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
  if (!func)
    return set_error(cudaErrorInvalidDeviceFunction,
                     "cudaOccupancyMaxActiveBlocksPerMultiprocessor: no kernel");
  if (blockSize > kMaxThreadsPerBlock || dynamicSMemSize > dynamic_shared_limit(func)) {
    *numBlocks = 0;  // such a launch would fail
    return cudaSuccess;
  }
  const int warps = (blockSize + 31) / 32;
  const std::size_t shared =
      (dynamicSMemSize + kReservedPerBlock + kSharedUnit - 1) / kSharedUnit * kSharedUnit;
  *numBlocks = std::min({kMaxWarpsPerSm / warps, kMaxBlocksPerSm, int(kSharedPerSm / shared)});
  return cudaSuccess;
}

cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* numBlocks, const void* func,
                                                          int blockSize, size_t dynamicSMemSize) {
  return cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
      numBlocks, func, blockSize, dynamicSMemSize, cudaOccupancyDefault);
}

cudaError_t cudaFuncGetAttributes(struct cudaFuncAttributes* attr, const void* func) {
  Lock lock(api_mutex());
  if (!attr) return set_error(cudaErrorInvalidValue, "cudaFuncGetAttributes: null pointer");
  if (!func) return set_error(cudaErrorInvalidDeviceFunction, "cudaFuncGetAttributes: no kernel");
  *attr = cudaFuncAttributes{};  // registers, local and static shared memory: unknown (0)
  attr->maxThreadsPerBlock = kMaxThreadsPerBlock;
  attr->ptxVersion = 90;
  attr->binaryVersion = 90;
  attr->maxDynamicSharedSizeBytes = int(dynamic_shared_limit(func));
  attr->preferredShmemCarveout = -1;
  return cudaSuccess;
}

}  // extern "C"
