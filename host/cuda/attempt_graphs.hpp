// AttemptGraphs: batches of step attempts replayed as CUDA graphs. An attempt is 2 kernels (the
// CNF) or 4 (the adjoint) whose arguments never change within a solve, nor between solves of
// the same shape on the same workspace: the controller lives on the device and every kernel
// reads it. So a graph of 2^i attempts is captured once per shape and replayed; a batch of n
// attempts is the graphs of n's binary digits (at most 6 graph launches for n < 64).
//
// Why graphs of fixed size rather than a conditional WHILE node (design §6, H100): a kernel node
// costs about 1.07 us against 4.6 us for a launch. A WHILE loop would run the attempts until the
// solve stops with no poll at all, but each iteration costs 4.55 us on top of its nodes: about
// 200 us over a training iteration's 46 attempts, against the 2 to 4 polls (15.6 us each) that
// batches sized from the last solve need. So the host still decides how many attempts to queue
// between polls (host/core/integrate.hpp, cuda/attempt_plan.hpp).
#pragma once

#include <cuda_runtime_api.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <functional>
#include <vector>

namespace cucnf::detail {

class AttemptGraphs {
 public:
  /// Graphs of 1, 2, 4, ... attempts; a batch longer than the largest takes several launches.
  static constexpr int kSizes = 6;

  AttemptGraphs() = default;
  ~AttemptGraphs() { clear(); }
  AttemptGraphs(const AttemptGraphs&) = delete;
  AttemptGraphs& operator=(const AttemptGraphs&) = delete;

  /// Enqueues `count` attempts on `stream` as graph launches. `key` is every byte the attempt's
  /// kernels take as arguments (buffers, dims, tableau, tolerances): when it differs from the
  /// cached graphs' key they are dropped and recaptured. `enqueue_attempt` enqueues one attempt
  /// on `stream` (it is called while the stream captures).
  void launch(const std::vector<unsigned char>& key, int count, cudaStream_t stream,
              const std::function<void()>& enqueue_attempt);

  /// Graph launches and graphs captured so far (for tests).
  long long launches() const { return launches_; }
  long long captures() const { return captures_; }

 private:
  void clear() noexcept;
  cudaGraphExec_t graph(int size_index, cudaStream_t stream,
                        const std::function<void()>& enqueue_attempt);

  std::vector<unsigned char> key_;
  std::array<cudaGraphExec_t, kSizes> exec_{};
  long long launches_ = 0, captures_ = 0;
};

/// The bytes of several trivially copyable values, one after another: an AttemptGraphs key.
template <class... T>
std::vector<unsigned char> graph_key(const T&... values) {
  std::vector<unsigned char> key;
  (
      [&](const auto& v) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(&v);
        key.insert(key.end(), bytes, bytes + sizeof(v));
      }(values),
      ...);
  return key;
}

}  // namespace cucnf::detail
