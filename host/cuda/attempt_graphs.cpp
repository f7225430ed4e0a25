// AttemptGraphs: capture once, replay (see attempt_graphs.hpp).
#include "cuda/attempt_graphs.hpp"

#include "cuda_check.hpp"

namespace cucnf::detail {

void AttemptGraphs::launch(const std::vector<unsigned char>& key, int count, cudaStream_t stream,
                           const std::function<void()>& enqueue_attempt) {
  if (key != key_) {
    clear();
    key_ = key;
  }
  const int largest = 1 << (kSizes - 1);
  while (count >= largest) {
    CUCNF_CUDA_CHECK(cudaGraphLaunch(graph(kSizes - 1, stream, enqueue_attempt), stream));
    ++launches_;
    count -= largest;
  }
  for (int i = kSizes - 2; i >= 0; --i) {
    if (!(count & (1 << i))) continue;
    CUCNF_CUDA_CHECK(cudaGraphLaunch(graph(i, stream, enqueue_attempt), stream));
    ++launches_;
  }
}

cudaGraphExec_t AttemptGraphs::graph(int size_index, cudaStream_t stream,
                                     const std::function<void()>& enqueue_attempt) {
  if (exec_[size_index]) return exec_[size_index];
  cudaGraph_t captured = nullptr;
  CUCNF_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    for (int i = 0; i < (1 << size_index); ++i) enqueue_attempt();
  } catch (...) {
    // End the capture (its graph is discarded) so the stream works again, then report.
    if (cudaStreamEndCapture(stream, &captured) == cudaSuccess && captured)
      cudaGraphDestroy(captured);
    throw;
  }
  CUCNF_CUDA_CHECK(cudaStreamEndCapture(stream, &captured));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t status = cudaGraphInstantiate(&exec, captured, 0);
  cudaGraphDestroy(captured);
  CUCNF_CUDA_CHECK(status);
  exec_[size_index] = exec;
  ++captures_;
  return exec;
}

void AttemptGraphs::clear() noexcept {
  for (cudaGraphExec_t& exec : exec_) {
    if (exec) cudaGraphExecDestroy(exec);
    exec = nullptr;
  }
}

}  // namespace cucnf::detail
