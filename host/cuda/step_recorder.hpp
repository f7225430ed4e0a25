// StepRecorder<Real>: the accepted steps of a forward solve (start state, FSAL point, times),
// recorded on the device for the discrete adjoint to replay last step first. Sized before the
// step loop from the previous solve, so that a solve like it never grows the record in the loop.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "cuda/device_buffer.hpp"
#include "discrete_adjoint.hpp"

namespace cucnf::detail {

template <class Real>
class StepRecorder {
 public:
  /// Starts a solve whose state has `state` values, with a separate FSAL point per step when
  /// `with_fsal`: before the step loop, makes room for the steps the previous solve asked room
  /// for (its accepted steps and the attempts enqueued ahead of them) and a quarter more, new
  /// memory poisoned on `stream` with no copy and no synchronisation. Buffers already large
  /// enough are kept (no allocation per solve).
  void reset(std::size_t state, bool with_fsal, cudaStream_t stream);

  /// Room for `steps` steps; called before an attempt that could record step `steps` - 1. Past
  /// what reset made room for, grows by doubling inside the step loop: it copies what is
  /// recorded and waits for the copy before freeing the old buffers.
  void ensure(int steps, cudaStream_t stream);

  StepRecord<Real> view() {
    return {y_.data(), with_fsal_ ? fsal_.data() : nullptr, times_.data(), capacity_};
  }

 private:
  template <class T>
  static void grow(DeviceBuffer<T>& buffer, std::size_t count, std::size_t keep,
                   cudaStream_t stream);

  DeviceBuffer<Real> y_, fsal_;
  DeviceBuffer<double> times_;
  std::size_t state_ = 0;
  bool with_fsal_ = false;
  int capacity_ = 0;
  int requested_ = 0;  // the most steps this solve has asked room for (ensure)
};

extern template class StepRecorder<float>;
extern template class StepRecorder<double>;

}  // namespace cucnf::detail
