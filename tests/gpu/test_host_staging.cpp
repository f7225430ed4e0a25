// The host-vector API's staging buffer (host/cuda/host_staging.hpp): page-locked, reused, grown
// on demand, and never overwritten under a copy still in flight. Skips without a GPU; runs on
// the emulated device in CI, where a copy is deferred until a synchronisation needs it, so
// overwriting the buffer too early changes what the copy delivers.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "cucnf/device.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/host_staging.hpp"
#include "cuda/stream.hpp"

namespace cucnf::detail {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

TEST(GpuHostStaging, IsPageLockedReusedAndGrown) {
  SKIP_WITHOUT_GPU();
  HostStaging staging;
  float* first = staging.get<float>(100);
  cudaPointerAttributes attributes{};
  CUCNF_CUDA_CHECK(cudaPointerGetAttributes(&attributes, first));
  EXPECT_EQ(attributes.type, cudaMemoryTypeHost);
  EXPECT_EQ(staging.get<double>(50), reinterpret_cast<double*>(first)) << "not reused";
  staging.get<double>(1000);
  EXPECT_GE(staging.capacity_bytes(), 1000 * sizeof(double));
}

TEST(GpuHostStaging, WaitsForTheCopiesInFlightBeforeItIsReused) {
  SKIP_WITHOUT_GPU();
  constexpr std::size_t kCount = 512;
  Stream stream;
  DeviceBuffer<float> device(kCount, stream);
  HostStaging staging;
  float* host = staging.get<float>(kCount);
  std::fill(host, host + kCount, 1.0f);
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(device.data(), host, kCount * sizeof(float), cudaMemcpyHostToDevice, stream));
  staging.in_flight_on(stream);
  host = staging.get<float>(kCount);  // must wait for the copy above
  std::fill(host, host + kCount, 2.0f);
  std::vector<float> back(kCount);
  CUCNF_CUDA_CHECK(cudaMemcpyAsync(back.data(), device.data(), kCount * sizeof(float),
                                   cudaMemcpyDeviceToHost, stream));
  CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream));
  EXPECT_TRUE(std::all_of(back.begin(), back.end(), [](float v) { return v == 1.0f; }))
      << "the buffer was overwritten before the copy from it ran";
}

}  // namespace
}  // namespace cucnf::detail
