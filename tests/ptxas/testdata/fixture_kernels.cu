// Kernels with known resource problems: the ptxas checker's self-test fixture. The report
// in report/ is ptxas's, made in this directory by
//   nvcc -arch=sm_90 --resource-usage -c fixture_kernels.cu -o /dev/null
// with its standard error written to report/fixture_kernels.cu.o.txt.
namespace fixture {
namespace {

// No stack, few registers: passes.
__global__ void clean_kernel(const float* in, float* out, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = 2.0f * in[i] + 1.0f;
}

// A local array indexed at run time in a loop: a stack frame.
template <int N>
__global__ void stack_kernel(const float* in, float* out, const int* index, int n) {
  float a[N] = {};
  for (int i = 0; i < n; ++i) a[index[i] & (N - 1)] += in[i * blockDim.x + threadIdx.x];
  float s = 0.0f;
  for (int i = 0; i < N; ++i) s += a[i] * float(i);
  out[threadIdx.x] = s;
}
template __global__ void stack_kernel<64>(const float*, float*, const int*, int);

// Many live values under a 32-register cap: spills.
__global__ void __launch_bounds__(1024, 2) spill_kernel(const float* in, float* out) {
  float v[48];
#pragma unroll
  for (int i = 0; i < 48; ++i) v[i] = in[i * 1024 + threadIdx.x];
  float s = 0.0f;
#pragma unroll
  for (int i = 0; i < 48; ++i)
#pragma unroll
    for (int j = 0; j < 48; ++j) s += v[i] * v[j];
  out[threadIdx.x] = s;
}

// Many live values without a cap: many registers, low occupancy at 256 threads.
__global__ void register_heavy_kernel(const float* in, float* out) {
  float v[96];
#pragma unroll
  for (int i = 0; i < 96; ++i) v[i] = in[i * 256 + threadIdx.x];
  float s = 0.0f;
#pragma unroll
  for (int i = 0; i < 96; ++i)
#pragma unroll
    for (int j = 0; j < 96; ++j) s += v[i] * v[(i + j) % 96];
  out[threadIdx.x] = s;
}

}  // namespace
}  // namespace fixture

void launch_all(const float* in, float* out, const int* index, int n) {
  fixture::clean_kernel<<<1, 256>>>(in, out, n);
  fixture::stack_kernel<64><<<1, 256>>>(in, out, index, n);
  fixture::spill_kernel<<<1, 1024>>>(in, out);
  fixture::register_heavy_kernel<<<1, 256>>>(in, out);
}
