// DeviceArray<T>: a test's own device memory, allocated as a user of the device-array API
// allocates it (cudaMalloc), with copies to and from std::vector<double> on a given stream.
// Header-only: include it only in tests that link the CUDA runtime (or the emulated one).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

/// Throws std::runtime_error (a test failure) when a CUDA call fails.
inline void cuda_ok(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}
#define CUDA_OK(call) cuda_ok((call), #call)

template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t count) : count_(count) {
    CUDA_OK(cudaMalloc(reinterpret_cast<void**>(&data_), bytes()));
  }
  ~DeviceArray() { cudaFree(data_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

  /// NaN in every element (all-ones bytes), enqueued on `stream`: a result the library did not
  /// write reads as NaN, never as a plausible zero.
  void poison(cudaStream_t stream) { CUDA_OK(cudaMemsetAsync(data_, 0xFF, bytes(), stream)); }

  /// Copies `values` (converted to T) in, enqueued on `stream` (from pageable memory the source
  /// is staged before the call returns; the write happens in stream order).
  void upload(const std::vector<double>& values, cudaStream_t stream) {
    if (values.size() != count_) throw std::runtime_error("DeviceArray::upload: wrong size");
    const std::vector<T> host(values.begin(), values.end());
    CUDA_OK(cudaMemcpyAsync(data_, host.data(), bytes(), cudaMemcpyHostToDevice, stream));
  }

  /// The values after the work enqueued on `stream` so far; synchronises `stream` only.
  std::vector<double> download(cudaStream_t stream) const {
    std::vector<T> host(count_);
    CUDA_OK(cudaMemcpyAsync(host.data(), data_, bytes(), cudaMemcpyDeviceToHost, stream));
    CUDA_OK(cudaStreamSynchronize(stream));
    return std::vector<double>(host.begin(), host.end());
  }

 private:
  std::size_t count_;
  T* data_ = nullptr;
};

/// An owned non-blocking stream, as a user of the API creates one.
class UserStream {
 public:
  UserStream() { CUDA_OK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~UserStream() {
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
  }
  UserStream(const UserStream&) = delete;
  UserStream& operator=(const UserStream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};
