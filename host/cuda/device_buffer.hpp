// DeviceBuffer<T>: a move-only owner of device memory (copies are explicit, to prevent
// performance accidents), and PinnedBuffer<T>, page-locked host memory. Growing keeps the
// allocation when it is already large enough, so a workspace sized for one solve is reused by
// the next with no allocation. Growing synchronises nothing: the old memory is freed and the new
// allocated in the stream's order (cudaFreeAsync, cudaMallocAsync), where cudaFree and cudaMalloc
// would synchronise the whole device. (GPUs without the stream-ordered allocator fall back to
// those.) Neither a growth nor the poison below ever calls cudaDeviceSynchronize.
//
// CUCNF_POISON_DEVICE_MEMORY (compile-time switch, 0 or 1): when 1, new device memory is filled
// with NaN by an asynchronous memset on the stream that will use it, so a kernel reading memory
// no kernel wrote shows NaN in the results instead of passing silently. Default: 1 in debug
// builds (NDEBUG undefined) and on the emulated device (tests rely on it), 0 in release builds
// for the GPU, where the memset would cost a pass over the memory at every growth. Define it on
// the compiler's command line (-DCUCNF_POISON_DEVICE_MEMORY=1) to poison in a release build.
#pragma once

#include <cuda_runtime_api.h>

#include <atomic>
#include <cstddef>
#include <utility>

#include "cuda_check.hpp"

#if !defined(CUCNF_POISON_DEVICE_MEMORY)
#if defined(SIMT_EMULATION) || !defined(NDEBUG)
#define CUCNF_POISON_DEVICE_MEMORY 1
#else
#define CUCNF_POISON_DEVICE_MEMORY 0
#endif
#endif

namespace cucnf::detail {

/// Whether new device memory is poisoned (see CUCNF_POISON_DEVICE_MEMORY above).
constexpr bool kPoisonDeviceMemory = CUCNF_POISON_DEVICE_MEMORY != 0;

/// Whether the current GPU has the stream-ordered allocator (cudaMallocAsync): every GPU of the
/// supported architectures does, but some virtualised setups do not.
inline bool stream_ordered_allocation() {
  int device = 0, supported = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&supported, cudaDevAttrMemoryPoolsSupported, device) != cudaSuccess) {
    cudaGetLastError();  // not sticky: clear it, and use cudaMalloc
    return false;
  }
  return supported != 0;
}

/// Bytes of device memory held by DeviceBuffers: now and at the peak since the last reset
/// (cucnf-bench reports the peak of each benchmark).
struct DeviceMemoryCounters {
  std::atomic<std::size_t> current{0};
  std::atomic<std::size_t> peak{0};
  void add(std::size_t bytes) {
    const std::size_t now = current += bytes;
    std::size_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
  }
  void reset_peak() { peak = current.load(); }
};

inline DeviceMemoryCounters& device_memory() {
  static DeviceMemoryCounters counters;
  return counters;
}

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t count, cudaStream_t stream) { reserve(count, stream); }
  ~DeviceBuffer() { release(); }  // never throws
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  /// Ensures room for `count` elements; contents are not preserved when it reallocates. The old
  /// memory is freed in `stream`'s order (work enqueued on `stream` may still use it; work on
  /// other streams may not), and the new memory is for work enqueued on `stream` after this
  /// call (work on another stream must be ordered after it by the caller). Its contents are
  /// undefined; with CUCNF_POISON_DEVICE_MEMORY they read as NaN (an asynchronous memset).
  void reserve(std::size_t count, cudaStream_t stream) {
    if (count <= capacity_) return;
    const bool ordered = stream_ordered_allocation();
    if (data_) {
      if (ordered) {
        CUCNF_CUDA_CHECK(cudaFreeAsync(data_, stream));
        forget();
      } else {
        release();
      }
    }
    if (ordered)
      CUCNF_CUDA_CHECK(
          cudaMallocAsync(reinterpret_cast<void**>(&data_), count * sizeof(T), stream));
    else
      CUCNF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
    capacity_ = count;
    device_memory().add(count * sizeof(T));
    // Poison: all-ones bytes are NaN in float and double, so reading memory that no kernel
    // wrote shows up as NaN in the results instead of passing silently as zeros.
    if constexpr (kPoisonDeviceMemory)
      CUCNF_CUDA_CHECK(cudaMemsetAsync(data_, 0xFF, count * sizeof(T), stream));
    else
      (void)stream;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  // At destruction: cudaFree (which also takes memory from cudaMallocAsync) waits for the
  // device; nothing pending may use the memory (CudaBackend destroys its stream first).
  void release() noexcept {
    if (!data_) return;
    cudaFree(data_);
    forget();
  }

  void forget() noexcept {
    device_memory().current -= capacity_ * sizeof(T);
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

/// Page-locked host memory for asynchronous copies: the controller state, and the staging of
/// the host-vector API's points and results (cuda/host_staging.hpp).
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(std::size_t count) { reserve(count); }
  ~PinnedBuffer() { release(); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  /// Ensures room for `count` elements; contents are not preserved when it reallocates, and
  /// no pending copy may use the old memory then (the caller waits for them first).
  void reserve(std::size_t count) {
    if (count <= capacity_) return;
    release();
    CUCNF_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&data_), count * sizeof(T)));
    capacity_ = count;
  }

  T* data() { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  void release() noexcept {
    if (!data_) return;
    cudaFreeHost(data_);
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace cucnf::detail
