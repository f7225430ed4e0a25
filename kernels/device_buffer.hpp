// DeviceBuffer<T>: a move-only owner of device memory (copies are explicit, to prevent
// performance accidents). Growing keeps the allocation when it is already large enough, so a
// workspace sized for one solve is reused by the next with no cudaMalloc.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "cuda_check.hpp"

namespace cucnf::detail {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { reserve(count); }
  ~DeviceBuffer() { cudaFree(data_); }  // never throws
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(capacity_, other.capacity_);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  /// Ensures room for `count` elements; contents are not preserved when it reallocates, and new
  /// memory starts as NaN.
  void reserve(std::size_t count) {
    if (count <= capacity_) return;
    cudaFree(data_);
    data_ = nullptr;
    capacity_ = 0;
    CUCNF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
    capacity_ = count;
    // Poison: all-ones bytes are NaN in float and double, so reading memory that no kernel
    // wrote shows up as NaN in the results instead of passing silently as zeros.
    CUCNF_CUDA_CHECK(cudaMemset(data_, 0xFF, count * sizeof(T)));
    CUCNF_CUDA_CHECK(cudaDeviceSynchronize());
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace cucnf::detail

namespace cucnf::detail {

/// Page-locked host memory for small asynchronous copies (the controller state).
template <class T>
class PinnedBuffer {
 public:
  explicit PinnedBuffer(std::size_t count) {
    CUCNF_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&data_), count * sizeof(T)));
  }
  ~PinnedBuffer() { cudaFreeHost(data_); }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  T* data() { return data_; }

 private:
  T* data_ = nullptr;
};

}  // namespace cucnf::detail
