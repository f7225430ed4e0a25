// simt stand-in for cub::DeviceReduce::Sum: the two-phase call (ask for the scratch size, then
// reduce on a stream), run as one emulated kernel launch that sums in index order
// (deterministic, as CUB's reduction is run to run).
#pragma once

#include <cuda_runtime.h>

namespace cub {
namespace simt_detail {

template <class In, class Out>
__global__ void device_sum_kernel(In in, Out out, int count) {
  using T = std::decay_t<decltype(*out)>;
  T acc = T(0);
  for (int i = 0; i < count; ++i) acc += in[i];
  *out = acc;
}

constexpr size_t kScratchBytes = 256;

}  // namespace simt_detail

struct DeviceReduce {
  template <class In, class Out>
  static cudaError_t Sum(void* scratch, size_t& scratch_bytes, In in, Out out, int count,
                         cudaStream_t stream = 0) {
    if (scratch == nullptr) {
      scratch_bytes = simt_detail::kScratchBytes;
      return cudaSuccess;
    }
    if (scratch_bytes < simt_detail::kScratchBytes || count < 0) return cudaErrorInvalidValue;
    if (simt::memory_kind(scratch) != simt::MemoryKind::device ||
        (count > 0 && simt::memory_kind(&in[0]) != simt::MemoryKind::device) ||
        simt::memory_kind(&out[0]) != simt::MemoryKind::device)
      return cudaErrorInvalidValue;
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(1);
    config.blockDim = dim3(1);
    config.stream = stream;
    return cudaLaunchKernelEx(&config, simt_detail::device_sum_kernel<In, Out>, in, out, count);
  }
};

}  // namespace cub
