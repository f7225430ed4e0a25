// The owned stream (host/cuda/stream.hpp): destroying it waits for the work enqueued on it, so
// memory that work uses may be freed right after, and an owner that declares its Stream last
// frees its buffers only once nothing pending uses them. Skips without a GPU; runs on the
// emulated device in CI, where work is deferred until a synchronisation needs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "cucnf/device.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/stream.hpp"

namespace cucnf::detail {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

constexpr std::size_t kCount = 256;

TEST(GpuStream, DestructionWaitsForTheWorkEnqueuedOnIt) {
  SKIP_WITHOUT_GPU();
  PinnedBuffer<float> host(kCount);
  std::fill(host.data(), host.data() + kCount, 0.0f);
  DeviceBuffer<float> device;
  {
    Stream stream;
    device.reserve(kCount, stream);
    // NaN on the stream (release builds do not poison new memory): the copy must see it.
    CUCNF_CUDA_CHECK(cudaMemsetAsync(device.data(), 0xFF, kCount * sizeof(float), stream));
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(host.data(), device.data(), kCount * sizeof(float),
                                     cudaMemcpyDeviceToHost, stream));
  }  // no synchronisation but the stream's destructor
  EXPECT_TRUE(std::all_of(host.data(), host.data() + kCount, [](float v) { return std::isnan(v); }))
      << "the copy had not run when the stream was destroyed";
}

// CudaBackend's layout: buffers first, the stream last. The emulated device stops the run when a
// buffer is freed while work enqueued on the stream still uses it.
TEST(GpuStream, DeclaredLastItWaitsBeforeItsOwnersBuffersAreFreed) {
  SKIP_WITHOUT_GPU();
  struct Owner {
    DeviceBuffer<float> buffer;
    Stream stream;
  };
  {
    Owner owner;
    owner.buffer.reserve(kCount, owner.stream);
    CUCNF_CUDA_CHECK(cudaMemsetAsync(owner.buffer.data(), 0, kCount * sizeof(float), owner.stream));
  }
  SUCCEED();
}

TEST(GpuStream, MovingHandsTheStreamOver) {
  SKIP_WITHOUT_GPU();
  Stream a;
  const cudaStream_t handle = a.get();
  ASSERT_NE(handle, nullptr);
  Stream b = std::move(a);
  EXPECT_EQ(a.get(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_EQ(b.get(), handle);
  Stream c;
  c = std::move(b);
  EXPECT_EQ(c.get(), handle);
  c.synchronize();
}

}  // namespace
}  // namespace cucnf::detail
