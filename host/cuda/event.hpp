// Event: an owned CUDA event without timing (the cheap kind), for ordering streams and for
// knowing when the copies that use a host buffer have run. Move-only; destroying it is
// asynchronous (CUDA releases the event once its pending record has run).
#pragma once

#include <cuda_runtime_api.h>

#include <utility>

#include "cuda_check.hpp"

namespace cucnf::detail {

class Event {
 public:
  Event() { CUCNF_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming)); }
  ~Event() {
    if (event_) cudaEventDestroy(event_);  // never throws
  }
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event& operator=(Event&& other) noexcept {
    std::swap(event_, other.event_);
    return *this;
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  cudaEvent_t get() const { return event_; }

  /// Marks the point reached by the work enqueued on `stream` so far.
  void record(cudaStream_t stream) { CUCNF_CUDA_CHECK(cudaEventRecord(event_, stream)); }

  /// Makes the work enqueued on `stream` from now on wait for the recorded point (no host wait).
  void make_wait(cudaStream_t stream) const {
    CUCNF_CUDA_CHECK(cudaStreamWaitEvent(stream, event_, 0));
  }

  /// Waits on the host for the recorded point; returns at once when it has been reached (or
  /// nothing was recorded), without counting as a synchronisation.
  void wait() const {
    const cudaError_t status = cudaEventQuery(event_);
    if (status == cudaSuccess) return;
    if (status != cudaErrorNotReady) CUCNF_CUDA_CHECK(status);
    CUCNF_CUDA_CHECK(cudaEventSynchronize(event_));
  }

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace cucnf::detail
