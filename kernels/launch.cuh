// Kernel launches and dynamic shared memory, written once for both builds: nvcc for the GPU,
// and the host compiler against the CPU execution layer (tests/simt) for the emulated device.
//
//   CUCNF_LAUNCH("name", (kernel<T>), grid, block, shared_bytes, stream, args...)
//     launches through CUDA's cudaLaunchKernelEx template (the <<<...>>> syntax is nvcc's
//     alone) and throws cucnf::Error(cuda_failure) naming the kernel and the call site when
//     the launch is refused (bad configuration, too much shared memory, bad stream).
//   CUCNF_DYNAMIC_SHARED(name)   declares the block's dynamic shared memory as unsigned char*.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <utility>

#include "cuda_check.hpp"

namespace cucnf::detail {

template <class... Params, class... Args>
void launch_kernel(const char* name, const char* file, int line, void (*kernel)(Params...),
                   dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t stream,
                   Args&&... args) {
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  const cudaError_t status = cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
  if (status != cudaSuccess)
    throw_cuda_error(status, (std::string("launch of ") + name).c_str(), file, line);
}

}  // namespace cucnf::detail

#define CUCNF_LAUNCH(name, kernel, grid, block, shared_bytes, stream, ...)                    \
  ::cucnf::detail::launch_kernel(name, __FILE__, __LINE__, kernel, grid, block, shared_bytes, \
                                 stream, __VA_ARGS__)

#if defined(SIMT_EMULATION)
#define CUCNF_DYNAMIC_SHARED(name) unsigned char* name = ::simt::detail::dynamic_shared()
#else
#define CUCNF_DYNAMIC_SHARED(name) extern __shared__ __align__(16) unsigned char name[]
#endif
