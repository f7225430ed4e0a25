// StepRecorder<Real>: the accepted steps of a forward solve (start state, FSAL point, times),
// recorded on the device for the discrete adjoint to replay last step first.
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
  /// `with_fsal`. What the buffers of earlier solves hold is kept (no allocation per solve).
  void reset(std::size_t state, bool with_fsal);

  /// Room for `steps` steps; called before an attempt that could record step `steps` - 1. Grows
  /// by doubling, keeping what is recorded, so its memory follows the number of steps.
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
};

extern template class StepRecorder<float>;
extern template class StepRecorder<double>;

}  // namespace cucnf::detail
