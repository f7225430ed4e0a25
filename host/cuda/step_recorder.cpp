// StepRecorder: sizing (before the step loop) and growth (inside it) of the discrete adjoint's
// record of accepted steps.
#include "cuda/step_recorder.hpp"

#include <algorithm>
#include <utility>

#include "cuda_check.hpp"

namespace cucnf::detail {

template <class Real>
void StepRecorder<Real>::reset(std::size_t state, bool with_fsal, cudaStream_t stream) {
  state_ = state;
  with_fsal_ = with_fsal;
  // The previous solve's need and a margin. Nothing recorded is kept, so a buffer that is too
  // small is replaced without a copy (no work of this solve uses it yet).
  const std::size_t expected = requested_ > 0 ? std::size_t(requested_) + requested_ / 4 + 8 : 0;
  requested_ = 0;
  y_.reserve(expected * state, stream);
  if (with_fsal) fsal_.reserve(expected * state, stream);
  times_.reserve(2 * expected, stream);
  std::size_t steps = times_.capacity() / 2;
  steps = std::min(steps, y_.capacity() / state);
  if (with_fsal) steps = std::min(steps, fsal_.capacity() / state);
  capacity_ = int(std::min<std::size_t>(steps, 1 << 30));
}

template <class Real>
void StepRecorder<Real>::ensure(int steps, cudaStream_t stream) {
  requested_ = std::max(requested_, steps);
  if (steps <= capacity_) return;
  const int capacity = std::max({steps, 2 * capacity_, 8});
  grow(y_, capacity * state_, capacity_ * state_, stream);
  if (with_fsal_) grow(fsal_, capacity * state_, capacity_ * state_, stream);
  grow(times_, 2 * std::size_t(capacity), 2 * std::size_t(capacity_), stream);
  capacity_ = capacity;
}

template <class Real>
template <class T>
void StepRecorder<Real>::grow(DeviceBuffer<T>& buffer, std::size_t count, std::size_t keep,
                              cudaStream_t stream) {
  if (buffer.capacity() >= count) return;
  DeviceBuffer<T> larger(count, stream);
  if (keep > 0) {
    CUCNF_CUDA_CHECK(cudaMemcpyAsync(larger.data(), buffer.data(), keep * sizeof(T),
                                     cudaMemcpyDeviceToDevice, stream));
    // cudaFree is not documented to wait for the stream: the copy must finish before the old
    // buffer goes (growth doubles the record, so this happens a few times per solve shape).
    CUCNF_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  buffer = std::move(larger);
}

template class StepRecorder<float>;
template class StepRecorder<double>;

}  // namespace cucnf::detail
