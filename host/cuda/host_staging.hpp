// HostStaging: the page-locked buffer through which the host-vector API's points, results and
// gradients travel between host and device. Copies from pageable memory are staged by the
// driver through its own pinned buffers with a synchronous copy; through this one they are true
// asynchronous DMA. It is grown on demand and reused, and an event tracks the last copies that
// used it, so the host never overwrites (or frees) it under a copy still in flight.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "cuda/device_buffer.hpp"
#include "cuda/event.hpp"

namespace cucnf::detail {

class HostStaging {
 public:
  /// Room for `count` values of T, to fill or to copy into. Waits first for the copies that
  /// used the buffer before (see in_flight_on); grows it when it is too small.
  template <class T>
  T* get(std::size_t count) {
    last_use_.wait();
    buffer_.reserve(count * sizeof(T));
    return reinterpret_cast<T*>(buffer_.data());
  }

  /// The copies just enqueued on `stream` read or write the buffer: the next get() waits for
  /// them (an upload's caller need not synchronise before it returns).
  void in_flight_on(cudaStream_t stream) { last_use_.record(stream); }

  std::size_t capacity_bytes() const { return buffer_.capacity(); }

 private:
  // Page-locked memory from cudaMallocHost is aligned for any T (256 bytes).
  PinnedBuffer<unsigned char> buffer_;
  Event last_use_;
};

}  // namespace cucnf::detail
