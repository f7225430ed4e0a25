// The device-array API: a host whose data already lives on the GPU (here put there with
// cudaMalloc and cudaMemcpyAsync, as its own kernels would leave it) hands cucnf device
// pointers and its stream; nothing is copied through the host, and the results are ready in
// the stream's order. Built only where CMake finds the CUDA toolkit (for cuda_runtime_api.h
// and libcudart); cucnf's own headers need neither.
#include <cuda_runtime_api.h>
#include <cucnf/cucnf.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

}  // namespace

void device_arrays_example(const cucnf::Model& model) {
  if (cucnf::cuda_device_count() == 0) {
    std::printf("device arrays: no CUDA device, skipped\n");
    return;
  }
  cucnf::Flow flow(model, cucnf::Device::cuda);  // float32 arithmetic
  cudaStream_t stream = nullptr;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");

  // Three points (N x D, row-major) and room for their log-densities, in device memory.
  const float points[] = {0.5f, -0.25f, 1.0f, 2.0f, -3.0f, 0.1f};
  const std::size_t n = 3;
  float* x = nullptr;
  float* log_prob = nullptr;
  check(cudaMalloc(reinterpret_cast<void**>(&x), sizeof points), "cudaMalloc");
  check(cudaMalloc(reinterpret_cast<void**>(&log_prob), n * sizeof(float)), "cudaMalloc");
  check(cudaMemcpyAsync(x, points, sizeof points, cudaMemcpyHostToDevice, stream),
        "cudaMemcpyAsync");

  cucnf::DeviceLogProbArrays<float> io;
  io.x = x;
  io.n = n;
  io.log_prob = log_prob;
  const cucnf::SolveStats stats = flow.log_prob(io, cucnf::CudaStream{stream});

  // Later work on the stream sees the results; here, a copy back to print them.
  float result[n];
  check(cudaMemcpyAsync(result, log_prob, sizeof result, cudaMemcpyDeviceToHost, stream),
        "cudaMemcpyAsync");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  for (std::size_t i = 0; i < n; ++i)
    std::printf("device arrays: log p(%g, %g) = %.5f\n", points[2 * i], points[2 * i + 1],
                result[i]);
  std::printf("device arrays: %lld evaluations\n", static_cast<long long>(stats.nfe));

  check(cudaFree(log_prob), "cudaFree");
  check(cudaFree(x), "cudaFree");
  check(cudaStreamDestroy(stream), "cudaStreamDestroy");
}
