// DeviceBuffer growth (host/cuda/device_buffer.hpp): in stream order, with no synchronisation,
// and NaN-poisoned where CUCNF_POISON_DEVICE_MEMORY is on. Skips without a GPU; runs on the
// emulated device in CI, which stops the run when memory is freed under pending work and counts
// host synchronisations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cucnf/device.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/stream.hpp"

#if defined(SIMT_EMULATION)
#include "simt/simt.hpp"
#endif

namespace cucnf::detail {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

std::vector<float> download(const float* device, std::size_t count, cudaStream_t stream) {
  std::vector<float> host(count);
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(host.data(), device, count * sizeof(float), cudaMemcpyDeviceToHost, stream));
  CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream));
  return host;
}

// Work still pending on the stream uses the old memory when the buffer grows: the old memory is
// freed after it, in the stream's order, and nothing waits (a cudaFree here would be reported by
// the emulated device as freeing memory that pending work uses).
TEST(GpuDeviceBuffer, GrowsInStreamOrderWithoutSynchronising) {
  SKIP_WITHOUT_GPU();
  Stream stream;
  DeviceBuffer<float> buffer(64, stream);
  CUCNF_CUDA_CHECK(cudaMemsetAsync(buffer.data(), 0, 64 * sizeof(float), stream));
#if defined(SIMT_EMULATION)
  simt::reset_counters();
#endif
  buffer.reserve(4096, stream);
#if defined(SIMT_EMULATION)
  EXPECT_EQ(simt::counters().host_syncs, 0u);
#endif
  ASSERT_GE(buffer.capacity(), 4096u);
  CUCNF_CUDA_CHECK(cudaMemsetAsync(buffer.data(), 0, 4096 * sizeof(float), stream));
  const std::vector<float> back = download(buffer.data(), 4096, stream);
  EXPECT_TRUE(std::all_of(back.begin(), back.end(), [](float v) { return v == 0.0f; }));
}

TEST(GpuDeviceBuffer, NewMemoryIsNanWhereThePoisonIsOn) {
  SKIP_WITHOUT_GPU();
  if (!kPoisonDeviceMemory) GTEST_SKIP() << "CUCNF_POISON_DEVICE_MEMORY is 0 in this build";
  Stream stream;
  DeviceBuffer<float> buffer(16, stream);
  CUCNF_CUDA_CHECK(cudaMemsetAsync(buffer.data(), 0, 16 * sizeof(float), stream));
  buffer.reserve(1000, stream);  // new memory, poisoned on the stream
  const std::vector<float> back = download(buffer.data(), 1000, stream);
  EXPECT_TRUE(std::all_of(back.begin(), back.end(), [](float v) { return std::isnan(v); }));
}

#if defined(SIMT_EMULATION)
TEST(GpuDeviceBuffer, EmulatedBuildsPoison) {
  EXPECT_TRUE(kPoisonDeviceMemory) << "the emulated suite relies on NaN-poisoned new memory";
}
#endif

}  // namespace
}  // namespace cucnf::detail
