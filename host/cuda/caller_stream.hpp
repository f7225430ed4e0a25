// CallerStreamScope: runs a call's device work on the backend's own stream, in the order of a
// caller's stream. At the start the backend's stream waits for the work enqueued on the caller's
// stream so far (an event), and at the end the caller's stream waits for the work the call
// enqueued on the backend's stream (another event), also when the call throws. Neither costs a
// host synchronisation.
#pragma once

#include <cuda_runtime_api.h>

#include "cuda/event.hpp"

namespace cucnf::detail {

class CallerStreamScope {
 public:
  /// `start` and `end` are the backend's events, reused call after call (recording again
  /// is fine once the waits on the previous record have been enqueued).
  CallerStreamScope(cudaStream_t caller, cudaStream_t own, Event& start, Event& end)
      : caller_(caller), own_(own), end_(end) {
    start.record(caller_);
    start.make_wait(own_);
  }
  ~CallerStreamScope() {
    if (finished_) return;
    // Unwinding from an error: still order the caller's stream after what was enqueued, so
    // its later work cannot overwrite arrays a pending kernel reads. Errors are dropped: a
    // destructor cannot report them, and the call is already failing.
    if (cudaEventRecord(end_.get(), own_) == cudaSuccess)
      cudaStreamWaitEvent(caller_, end_.get(), 0);
  }
  CallerStreamScope(const CallerStreamScope&) = delete;
  CallerStreamScope& operator=(const CallerStreamScope&) = delete;

  /// Orders the caller's stream after the call's work; call once the work is enqueued.
  void finish() {
    finished_ = true;
    end_.record(own_);
    end_.make_wait(caller_);
  }

 private:
  cudaStream_t caller_;
  cudaStream_t own_;
  Event& end_;
  bool finished_ = false;
};

}  // namespace cucnf::detail
