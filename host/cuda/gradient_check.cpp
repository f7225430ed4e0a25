// enqueue_gradient_check: the loss and non-finite counts read back with a poll
// (gradient_check.hpp).
#include "cuda/gradient_check.hpp"

#include "cuda_check.hpp"
#include "train_kernels.hpp"

namespace cucnf::detail {

template <class Real>
void enqueue_gradient_check(const Real* const* grads, int candidates, int count,
                            const double* loss_sum, unsigned int* flags, GradientCheck* host,
                            cudaStream_t stream) {
  CUCNF_CUDA_CHECK(cudaMemsetAsync(flags, 0, candidates * sizeof(unsigned int), stream));
  for (int i = 0; i < candidates; ++i) launch_count_non_finite(grads[i], count, flags + i, stream);
  CUCNF_CUDA_CHECK(cudaMemcpyAsync(host->non_finite, flags, candidates * sizeof(unsigned int),
                                   cudaMemcpyDeviceToHost, stream));
  CUCNF_CUDA_CHECK(
      cudaMemcpyAsync(&host->loss_sum, loss_sum, sizeof(double), cudaMemcpyDeviceToHost, stream));
}

template void enqueue_gradient_check<float>(const float* const*, int, int, const double*,
                                            unsigned int*, GradientCheck*, cudaStream_t);
template void enqueue_gradient_check<double>(const double* const*, int, int, const double*,
                                             unsigned int*, GradientCheck*, cudaStream_t);

}  // namespace cucnf::detail
