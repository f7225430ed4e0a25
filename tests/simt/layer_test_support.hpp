// Helpers of the execution layer's own tests: a checked CUDA call, a launch configuration and a
// download of device memory.
#pragma once

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#define CHECK(call) ASSERT_EQ((call), cudaSuccess) << cudaGetErrorString(cudaGetLastError())

inline cudaLaunchConfig_t config(dim3 grid, dim3 block, size_t shared = 0,
                                 cudaStream_t s = nullptr) {
  cudaLaunchConfig_t c{};
  c.gridDim = grid;
  c.blockDim = block;
  c.dynamicSmemBytes = shared;
  c.stream = s;
  return c;
}

template <class T>
std::vector<T> download(const T* device, size_t n) {
  std::vector<T> host(n);
  EXPECT_EQ(cudaMemcpy(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
  return host;
}
