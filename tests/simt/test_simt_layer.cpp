// The CPU execution layer can fail: each bug class it exists to catch is injected into a small
// kernel and seen caught (a wrong result under some schedule, or the run stopped with the
// kernel's file:line), and the correct kernel passes under every schedule. Also: CUDA's launch
// limits, memory kinds, the default-stream rules, CUB stand-ins and the counters.
#include <cuda_runtime.h>
#include <gtest/gtest.h>
#include <cub/block/block_reduce.cuh>
#include <cub/device/device_reduce.cuh>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "layer_test_support.hpp"
#include "simt/simt.hpp"

namespace {

const std::vector<std::string> kSchedules = {"fifo", "reverse", "random:1", "random:2"};

#if defined(__SANITIZE_THREAD__)
constexpr bool kTsan = true;
#else
constexpr bool kTsan = false;
#endif
// The tests that run a racy kernel on purpose (to see it fail under some schedule) would make
// ThreadSanitizer fail the binary: under TSan the race report itself is checked instead.
#define SKIP_RACY_UNDER_TSAN() \
  if (kTsan) GTEST_SKIP() << "ThreadSanitizer build: see MissingSyncwarpIsADataRaceUnderTsan"

struct ScheduleGuard {
  explicit ScheduleGuard(const std::string& s) : saved(simt::schedule()) {
    simt::set_schedule(simt::parse_schedule(s));
  }
  ~ScheduleGuard() { simt::set_schedule(saved); }
  simt::Schedule saved;
};

// Lane 0 of each warp publishes a value in shared memory, every lane reads it back.
__global__ void broadcast_kernel(float* out, bool with_syncwarp) {
  unsigned char* raw = simt::detail::dynamic_shared();
  float* slot = reinterpret_cast<float*>(raw);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) slot[warp] = 100.0f + warp;
  if (with_syncwarp) __syncwarp();
  out[threadIdx.x] = slot[warp];
}

bool broadcast_correct(bool with_syncwarp) {
  float* out = nullptr;
  EXPECT_EQ(cudaMalloc(&out, 64 * sizeof(float)), cudaSuccess);
  const cudaLaunchConfig_t c = config(1, 64, 2 * sizeof(float));
  EXPECT_EQ(cudaLaunchKernelEx(&c, broadcast_kernel, out, with_syncwarp), cudaSuccess);
  const std::vector<float> h = download(out, 64);
  cudaFree(out);
  for (int i = 0; i < 64; ++i)
    if (h[i] != 100.0f + i / 32) return false;
  return true;
}

TEST(SimtLayer, RemovedSyncwarpFailsUnderSomeScheduleAndTheFixPassesUnderAll) {
  SKIP_RACY_UNDER_TSAN();
  int failures = 0;
  for (const std::string& s : kSchedules) {
    ScheduleGuard g(s);
    EXPECT_TRUE(broadcast_correct(true)) << s;
    failures += broadcast_correct(false) ? 0 : 1;
  }
  EXPECT_GE(failures, 1) << "the missing __syncwarp went unnoticed under every schedule";
}

// Under ThreadSanitizer (fibers annotated) the missing __syncwarp is reported as a data race
// naming the kernel's lines, even under fifo where the result happens to be right; with the
// __syncwarp the same kernel is clean.
TEST(SimtLayerDeathTest, MissingSyncwarpIsADataRaceUnderTsan) {
  if (!kTsan) GTEST_SKIP() << "needs a ThreadSanitizer build";
  // The child process re-reads TSAN_OPTIONS: stop at the first report.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  setenv("TSAN_OPTIONS", "halt_on_error=1", 1);
  ScheduleGuard g("fifo");
  EXPECT_TRUE(broadcast_correct(true));
  EXPECT_DEATH(broadcast_correct(false), "ThreadSanitizer: data race.*broadcast_kernel");
}

// A block reduction through shared memory whose last barrier is optional.
__global__ void block_sum_kernel(const float* in, float* out, bool last_barrier) {
  __shared__ float partial[128];
  partial[threadIdx.x] = in[threadIdx.x];
  __syncthreads();
  for (int stride = 64; stride > 0; stride /= 2) {
    if (int(threadIdx.x) < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    if (stride > 1 || last_barrier) __syncthreads();
  }
  if (threadIdx.x == 127) out[0] = partial[0];  // the last thread reports
}

TEST(SimtLayer, MissingBarrierAfterTheLastRoundFailsUnderSomeSchedule) {
  SKIP_RACY_UNDER_TSAN();
  std::vector<float> h(128);
  for (int i = 0; i < 128; ++i) h[i] = float(i + 1);
  float *in = nullptr, *out = nullptr;
  CHECK(cudaMalloc(&in, 128 * sizeof(float)));
  CHECK(cudaMalloc(&out, sizeof(float)));
  CHECK(cudaMemcpy(in, h.data(), 128 * sizeof(float), cudaMemcpyHostToDevice));
  int failures = 0;
  for (const std::string& s : kSchedules) {
    ScheduleGuard g(s);
    for (bool barrier : {true, false}) {
      const cudaLaunchConfig_t c = config(1, 128);
      CHECK(cudaLaunchKernelEx(&c, block_sum_kernel, in, out, barrier));
      const float sum = download(out, 1)[0];
      if (barrier)
        EXPECT_EQ(sum, 128.0f * 129.0f / 2.0f) << s;
      else
        failures += sum == 128.0f * 129.0f / 2.0f ? 0 : 1;
    }
  }
  EXPECT_GE(failures, 1);
  cudaFree(in);
  cudaFree(out);
}

// Two phases of a block sharing one shared-memory value, the barrier before each phase's write
// optional. Without it the value of the next phase can overwrite the one warps still have to
// read, but only when warps run apart: fifo interleaves them at every warp collective, drift lets
// the first warp run into the next phase before the others read.
__global__ void phases_kernel(int* out, bool barrier_between_phases) {
  __shared__ int phase_value;
  for (int phase = 0; phase < 2; ++phase) {
    if (barrier_between_phases) __syncthreads();
    if (threadIdx.x == 0) phase_value = phase + 1;
    __syncthreads();
    out[phase * blockDim.x + threadIdx.x] = phase_value;
    __syncwarp();
  }
}

TEST(SimtLayer, MissingBarrierBetweenPhasesShowsWhenWarpsDrift) {
  SKIP_RACY_UNDER_TSAN();
  int* out = nullptr;
  CHECK(cudaMalloc(&out, 2 * 64 * sizeof(int)));
  auto all_right = [&](const std::string& schedule, bool barrier) {
    ScheduleGuard g(schedule);
    const cudaLaunchConfig_t c = config(1, 64);
    EXPECT_EQ(cudaLaunchKernelEx(&c, phases_kernel, out, barrier), cudaSuccess);
    std::vector<int> h(2 * 64);
    EXPECT_EQ(cudaMemcpy(h.data(), out, h.size() * sizeof(int), cudaMemcpyDeviceToHost),
              cudaSuccess);
    for (int i = 0; i < 2 * 64; ++i)
      if (h[i] != i / 64 + 1) return false;
    return true;
  };
  for (const char* s : {"fifo", "reverse", "random:1", "drift"}) {
    EXPECT_TRUE(all_right(s, true)) << s;
  }
  EXPECT_TRUE(all_right("fifo", false)) << "fifo keeps the warps together";
  EXPECT_FALSE(all_right("drift", false)) << "drift must show the missing barrier";
  cudaFree(out);
}

TEST(SimtLayer, DriftIsASchedule) {
  EXPECT_EQ(simt::schedule_name(simt::parse_schedule("drift")), "drift");
  EXPECT_THROW(simt::parse_schedule("drift:1"), std::invalid_argument);
}

__global__ void read_past_shared_kernel(float* out, int index) {
  unsigned char* raw = simt::detail::dynamic_shared();
  out[0] = reinterpret_cast<float*>(raw)[index];
}

TEST(SimtLayerDeathTest, ReadPastDynamicSharedMemoryStopsTheRun) {
  float* out = nullptr;
  CHECK(cudaMalloc(&out, sizeof(float)));
  // Inside the launch's 64 bytes: NaN (never written), not a fault.
  const cudaLaunchConfig_t c = config(1, 1, 64);
  CHECK(cudaLaunchKernelEx(&c, read_past_shared_kernel, out, 15));
  EXPECT_TRUE(std::isnan(download(out, 1)[0]));
  EXPECT_DEATH(
      {
        cudaLaunchKernelEx(&c, read_past_shared_kernel, out, 16);
        cudaDeviceSynchronize();
      },
      "");
  cudaFree(out);
}

__global__ void skipped_barrier_kernel(int* out) {
  if (threadIdx.x < 16) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void different_barriers_kernel(int* out) {
  if (threadIdx.x % 2) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

__global__ void deadlock_kernel(int* out) {
  if (threadIdx.x < 16)
    __syncwarp();
  else
    __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void mask_disagrees_kernel(int* out) {
  __syncwarp(threadIdx.x == 0 ? 0x3u : 0x7u);
  out[threadIdx.x] = 1;
}

__global__ void shuffle_from_exited_lane_kernel(int* out) {
  if (threadIdx.x == 5) return;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, int(threadIdx.x), 1);
}

template <class Kernel>
void run_to_death(Kernel kernel, unsigned threads) {
  int* out = nullptr;
  cudaMalloc(&out, 64 * sizeof(int));
  const cudaLaunchConfig_t c = config(1, threads);
  cudaLaunchKernelEx(&c, kernel, out);
  cudaDeviceSynchronize();
}

TEST(SimtLayerDeathTest, CollectiveMisuseStopsTheRunWithFileAndLine) {
  EXPECT_DEATH(run_to_death(skipped_barrier_kernel, 32),
               "test_simt_layer.cpp:[0-9]+.*a barrier skipped by some threads");
  EXPECT_DEATH(run_to_death(different_barriers_kernel, 32),
               "different barriers: .*test_simt_layer.cpp:[0-9]+.*test_simt_layer.cpp:[0-9]+");
  EXPECT_DEATH(run_to_death(deadlock_kernel, 32), "deadlock in block.*__syncwarp.*__syncthreads");
  EXPECT_DEATH(run_to_death(mask_disagrees_kernel, 3), "disagree on the mask");
  EXPECT_DEATH(run_to_death(shuffle_from_exited_lane_kernel, 32),
               "test_simt_layer.cpp:[0-9]+.*(exited|exits)");
}

__global__ void write_kernel(int* p, int value) {
  if (threadIdx.x == 0 && blockIdx.x == 0) *p = value;
}

TEST(SimtLayer, HostReadWithoutStreamSynchronisationSeesStaleData) {
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  int *device = nullptr, *pinned = nullptr;
  CHECK(cudaMalloc(&device, sizeof(int)));
  CHECK(cudaMallocHost(&pinned, sizeof(int)));
  *pinned = -1;
  const cudaLaunchConfig_t c = config(1, 1, 0, stream);
  CHECK(cudaLaunchKernelEx(&c, write_kernel, device, 42));
  CHECK(cudaMemcpyAsync(pinned, device, sizeof(int), cudaMemcpyDeviceToHost, stream));
  EXPECT_EQ(*pinned, -1) << "read before the stream synchronised must be stale";
  CHECK(cudaStreamSynchronize(stream));
  EXPECT_EQ(*pinned, 42);
  CHECK(cudaFreeHost(pinned));
  CHECK(cudaFree(device));
  CHECK(cudaStreamDestroy(stream));
}

TEST(SimtLayer, LegacyStreamDoesNotWaitForNonBlockingStreams) {
  for (unsigned flags : {unsigned(cudaStreamNonBlocking), unsigned(cudaStreamDefault)}) {
    cudaStream_t stream;
    CHECK(cudaStreamCreateWithFlags(&stream, flags));
    int* device = nullptr;
    CHECK(cudaMalloc(&device, sizeof(int)));
    CHECK(cudaMemset(device, 0, sizeof(int)));
    CHECK(cudaDeviceSynchronize());
    const cudaLaunchConfig_t c = config(1, 1, 0, stream);
    CHECK(cudaLaunchKernelEx(&c, write_kernel, device, 7));
    int host = -1;
    CHECK(cudaMemcpy(&host, device, sizeof(int), cudaMemcpyDeviceToHost));  // legacy stream
    EXPECT_EQ(host, flags == cudaStreamNonBlocking ? 0 : 7);
    CHECK(cudaStreamSynchronize(stream));
    CHECK(cudaFree(device));
    CHECK(cudaStreamDestroy(stream));
  }
}

TEST(SimtLayerDeathTest, FreeingMemoryThatPendingWorkUsesStopsTheRun) {
  EXPECT_DEATH(
      {
        cudaStream_t stream;
        cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
        int* device = nullptr;
        cudaMalloc(&device, sizeof(int));
        const cudaLaunchConfig_t c = config(1, 1, 0, stream);
        cudaLaunchKernelEx(&c, write_kernel, device, 1);
        cudaFree(device);
      },
      "cudaFree.*still uses");
}

// The stream-ordered allocator: a free waits for the work before it on its stream ...
TEST(SimtLayer, FreeAsyncRunsInItsStreamsOrder) {
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  int* device = nullptr;
  CHECK(cudaMallocAsync(reinterpret_cast<void**>(&device), sizeof(int), stream));
  const cudaLaunchConfig_t c = config(1, 1, 0, stream);
  CHECK(cudaLaunchKernelEx(&c, write_kernel, device, 1));
  simt::reset_counters();
  CHECK(cudaFreeAsync(device, stream));  // the launch is still pending: no report
  EXPECT_EQ(simt::counters().frees, 0u);
  CHECK(cudaStreamSynchronize(stream));
  EXPECT_EQ(simt::counters().frees, 1u);
  CHECK(cudaStreamDestroy(stream));
}

// ... but not for work on another stream that still uses the memory.
TEST(SimtLayerDeathTest, FreeAsyncUnderAnotherStreamsPendingWorkStopsTheRun) {
  EXPECT_DEATH(
      {
        cudaStream_t a;
        cudaStream_t b;
        cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking);
        cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking);
        int* device = nullptr;
        cudaMalloc(&device, sizeof(int));
        const cudaLaunchConfig_t c = config(1, 1, 0, a);
        cudaLaunchKernelEx(&c, write_kernel, device, 1);
        cudaFreeAsync(device, b);
        cudaStreamSynchronize(b);
      },
      "cudaFreeAsync.*still uses");
}

__global__ void empty_kernel(int) {}

TEST(SimtLayer, LaunchLimitsAreCudas) {
  cudaLaunchConfig_t c = config(1, 1025);
  EXPECT_EQ(cudaLaunchKernelEx(&c, empty_kernel, 0), cudaErrorInvalidConfiguration);
  c = config(1, dim3(32, 32, 1));
  EXPECT_EQ(cudaLaunchKernelEx(&c, empty_kernel, 0), cudaSuccess);
  c = config(1, 32, 48 * 1024 + 4);
  EXPECT_EQ(cudaLaunchKernelEx(&c, empty_kernel, 0), cudaErrorInvalidValue);
  CHECK(cudaFuncSetAttribute(empty_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 * 1024));
  EXPECT_EQ(cudaLaunchKernelEx(&c, empty_kernel, 0), cudaSuccess);
  EXPECT_EQ(
      cudaFuncSetAttribute(empty_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 228 * 1024),
      cudaErrorInvalidValue);
  c = config(dim3(1, 65536, 1), 32);
  EXPECT_EQ(cudaLaunchKernelEx(&c, empty_kernel, 0), cudaErrorInvalidConfiguration);
  CHECK(cudaDeviceSynchronize());
  cudaGetLastError();
}

TEST(SimtLayer, DeviceDescribesAnEmulatedH100) {
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, 0));
  EXPECT_EQ(prop.major, 9);
  EXPECT_EQ(prop.minor, 0);
  EXPECT_EQ(prop.multiProcessorCount, 132);
  EXPECT_NE(std::string(prop.name).find("emulated"), std::string::npos);
}

TEST(SimtLayer, CopiesOfTheWrongKindOrRangeAreErrors) {
  int* device = nullptr;
  CHECK(cudaMalloc(&device, 4 * sizeof(int)));
  int host[8] = {};
  EXPECT_EQ(cudaMemcpy(device, host, sizeof host, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
  EXPECT_NE(std::string(cudaGetErrorString(cudaGetLastError())).find("runs past"),
            std::string::npos);
  EXPECT_EQ(cudaMemcpy(device, host, 4 * sizeof(int), cudaMemcpyDeviceToHost),
            cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(host, device, 4 * sizeof(int), cudaMemcpyHostToDevice),
            cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpy(device + 1, device, 4 * sizeof(int), cudaMemcpyDeviceToDevice),
            cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemsetAsync(host, 0, sizeof host, nullptr), cudaErrorInvalidValue);
  CHECK(cudaMemcpy(device, host, 4 * sizeof(int), cudaMemcpyHostToDevice));
  EXPECT_EQ(cudaFreeHost(device), cudaErrorInvalidValue);
  cudaGetLastError();
  CHECK(cudaFree(device));
  EXPECT_EQ(simt::memory_kind(device), simt::MemoryKind::pageable);
}

TEST(SimtLayer, DeviceMemoryStartsPoisoned) {
  double* device = nullptr;
  CHECK(cudaMalloc(&device, 3 * sizeof(double)));
  for (double v : download(device, 3)) EXPECT_TRUE(std::isnan(v));
  CHECK(cudaFree(device));
}

__global__ void shuffle_kernel(int* out) {
  const int lane = threadIdx.x % 32;
  int v = lane * 10;
  out[threadIdx.x * 5 + 0] = __shfl_xor_sync(0xffffffffu, v, 3);
  out[threadIdx.x * 5 + 1] = __shfl_down_sync(0xffffffffu, v, 4);
  out[threadIdx.x * 5 + 2] = __shfl_up_sync(0xffffffffu, v, 2, 8);
  out[threadIdx.x * 5 + 3] = __shfl_sync(0xffffffffu, v, 7);
  out[threadIdx.x * 5 + 4] = int(__ballot_sync(0xffffffffu, lane % 3 == 0));
}

TEST(SimtLayer, ShufflesAndBallotFollowCuda) {
  int* out = nullptr;
  CHECK(cudaMalloc(&out, 64 * 5 * sizeof(int)));
  for (const std::string& s : kSchedules) {
    ScheduleGuard g(s);
    const cudaLaunchConfig_t c = config(1, 64);
    CHECK(cudaLaunchKernelEx(&c, shuffle_kernel, out));
    const std::vector<int> h = download(out, 64 * 5);
    unsigned ballot = 0;
    for (int l = 0; l < 32; l += 3) ballot |= 1u << l;
    for (int t = 0; t < 64; ++t) {
      const int l = t % 32;
      EXPECT_EQ(h[t * 5 + 0], (l ^ 3) * 10);
      EXPECT_EQ(h[t * 5 + 1], l + 4 < 32 ? (l + 4) * 10 : l * 10);
      EXPECT_EQ(h[t * 5 + 2], l % 8 >= 2 ? (l - 2) * 10 : l * 10);
      EXPECT_EQ(h[t * 5 + 3], 70);
      EXPECT_EQ(unsigned(h[t * 5 + 4]), ballot);
    }
  }
  CHECK(cudaFree(out));
}

__global__ void ticket_kernel(int* counter, int* order) {
  order[threadIdx.x] = atomicAdd(counter, 1);
}

TEST(SimtLayer, SchedulesOrderThreadsDifferently) {
  int *counter = nullptr, *order = nullptr;
  CHECK(cudaMalloc(&counter, sizeof(int)));
  CHECK(cudaMalloc(&order, 32 * sizeof(int)));
  std::set<std::vector<int>> seen;
  for (const std::string& s : kSchedules) {
    ScheduleGuard g(s);
    CHECK(cudaMemset(counter, 0, sizeof(int)));
    const cudaLaunchConfig_t c = config(1, 32);
    CHECK(cudaLaunchKernelEx(&c, ticket_kernel, counter, order));
    seen.insert(download(order, 32));
  }
  EXPECT_EQ(seen.size(), kSchedules.size());
  cudaFree(counter);
  cudaFree(order);
}

__global__ void block_reduce_kernel(const double* in, double* out) {
  using Reduce = cub::BlockReduce<double, 96>;
  __shared__ Reduce::TempStorage temp;
  const double total = Reduce(temp).Sum(in[threadIdx.x]);
  if (threadIdx.x == 0) *out = total;
}

TEST(SimtLayer, CubStandInsSumDeterministically) {
  std::vector<double> h(96);
  for (int i = 0; i < 96; ++i) h[i] = 0.1 * (i + 1);
  double *in = nullptr, *out = nullptr;
  CHECK(cudaMalloc(&in, 96 * sizeof(double)));
  CHECK(cudaMalloc(&out, 2 * sizeof(double)));
  CHECK(cudaMemcpy(in, h.data(), 96 * sizeof(double), cudaMemcpyHostToDevice));
  double expected = 0.0;
  for (double v : h) expected += v;
  for (const std::string& s : kSchedules) {
    ScheduleGuard g(s);
    const cudaLaunchConfig_t c = config(1, 96);
    CHECK(cudaLaunchKernelEx(&c, block_reduce_kernel, in, out));
    size_t bytes = 0;
    CHECK(cub::DeviceReduce::Sum(nullptr, bytes, in, out + 1, 96));
    void* scratch = nullptr;
    CHECK(cudaMalloc(&scratch, bytes));
    CHECK(cub::DeviceReduce::Sum(scratch, bytes, in, out + 1, 96));
    const std::vector<double> r = download(out, 2);
    EXPECT_EQ(r[0], expected) << s;  // the same order every time: bit-identical
    EXPECT_EQ(r[1], expected) << s;
    CHECK(cudaFree(scratch));
  }
  cudaFree(in);
  cudaFree(out);
}

TEST(SimtLayer, CountersCountLaunchesSyncsAndBytes) {
  simt::reset_counters();
  int* device = nullptr;
  CHECK(cudaMalloc(&device, 16 * sizeof(int)));
  int host[16] = {};
  CHECK(cudaMemcpyAsync(device, host, sizeof host, cudaMemcpyHostToDevice, nullptr));
  const cudaLaunchConfig_t c = config(2, 32);
  CHECK(cudaLaunchKernelEx(&c, write_kernel, device, 3));
  CHECK(cudaStreamSynchronize(nullptr));
  CHECK(cudaMemcpy(host, device, sizeof host, cudaMemcpyDeviceToHost));
  const simt::Counters k = simt::counters();
  EXPECT_EQ(k.allocations, 1u);
  EXPECT_EQ(k.launches, 1u);
  EXPECT_EQ(k.blocks, 2u);
  EXPECT_EQ(k.host_syncs, 2u);
  EXPECT_EQ(k.bytes_h2d, sizeof host);
  EXPECT_EQ(k.bytes_d2h, sizeof host);
  EXPECT_EQ(k.bytes_pageable, 2 * sizeof host);  // `host` is pageable both ways
  EXPECT_EQ(host[0], 3);
  int* pinned = nullptr;
  CHECK(cudaMallocHost(&pinned, sizeof host));
  CHECK(cudaMemcpy(pinned, device, sizeof host, cudaMemcpyDeviceToHost));
  EXPECT_EQ(simt::counters().bytes_pageable, 2 * sizeof host) << "a pinned copy counted";
  CHECK(cudaFreeHost(pinned));
  CHECK(cudaFree(device));
}

TEST(SimtLayer, PointerAttributesNameTheMemoryKind) {
  int* device = nullptr;
  int* pinned = nullptr;
  int pageable[4] = {};
  CHECK(cudaMalloc(&device, 4 * sizeof(int)));
  CHECK(cudaMallocHost(&pinned, 4 * sizeof(int)));
  cudaPointerAttributes a{};
  CHECK(cudaPointerGetAttributes(&a, device + 1));  // inside an allocation too
  EXPECT_EQ(a.type, cudaMemoryTypeDevice);
  EXPECT_EQ(a.device, 0);
  CHECK(cudaPointerGetAttributes(&a, pinned));
  EXPECT_EQ(a.type, cudaMemoryTypeHost);
  CHECK(cudaPointerGetAttributes(&a, pageable));
  EXPECT_EQ(a.type, cudaMemoryTypeUnregistered);
  EXPECT_EQ(cudaPointerGetAttributes(nullptr, device), cudaErrorInvalidValue);
  CHECK(cudaFreeHost(pinned));
  CHECK(cudaFree(device));
}

}  // namespace
