// Stream: an owned CUDA stream, created non-blocking (it does not wait for the legacy default
// stream, nor that stream for it). Move-only; its destructor waits for the work enqueued on it,
// then destroys it, as tiny-cuda-nn's StreamAndEvent does. An owner whose other members hold
// memory that the stream's work uses declares the Stream last: it is destroyed first, so that
// memory is freed only once nothing pending uses it.
#pragma once

#include <cuda_runtime_api.h>

#include <utility>

#include "cuda_check.hpp"

namespace cucnf::detail {

class Stream {
 public:
  Stream() { CUCNF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() { release(); }  // never throws: errors cannot be reported here
  Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  Stream& operator=(Stream&& other) noexcept {
    if (this != &other) {
      release();
      stream_ = std::exchange(other.stream_, nullptr);
    }
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  cudaStream_t get() const { return stream_; }
  operator cudaStream_t() const { return stream_; }  // NOLINT: passed to every launcher

  /// Waits for the work enqueued on the stream.
  void synchronize() const { CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  void release() noexcept {
    if (!stream_) return;
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
    stream_ = nullptr;
  }

  cudaStream_t stream_ = nullptr;
};

}  // namespace cucnf::detail
