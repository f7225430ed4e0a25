// The device-array API (cucnf/device_arrays.hpp) against the host-vector API of the same Flow and
// against the CPU backend, for both element types on flows of both precisions; its ordering with
// the caller's stream; and its errors. Skips without a GPU; runs on the emulated device in CI,
// where stream work is deferred until a synchronisation needs it, so a missing order between the
// caller's stream and the Flow's shows up as NaN (the poison) or stale results.
//
// Every array is poisoned (NaN) before a call, and every input is uploaded asynchronously on the
// caller's stream just before it: the results are read back on that stream and nothing else is
// synchronised.
//
// Tolerances. Against the host-vector API of the same Flow the device arithmetic is the same;
// only the last conversion differs: double outputs to 1e-12 relative, float outputs to the
// float rounding of the value (1e-6 relative, 1e-6 absolute near zero). Against the CPU float64
// backend those of tests/api/test_gpu.cpp: a float64 Flow to 1e-9 (log p, samples), 1e-7 (the
// continuous adjoint's gradient), a float32 Flow to 1e-3 (log p at 1e-5) and 2e-2 (gradients);
// float outputs of a float64 Flow add their rounding (1e-6 for log p and samples, 1e-7 for the
// loss, 2e-7 for the gradient).
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <memory>
#include <vector>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "device_array.hpp"
#include "expect_error.hpp"

namespace {

#define SKIP_WITHOUT_GPU() \
  if (cucnf::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

constexpr int kDim = 3;  // odd: the base draws' last pair is half used
constexpr std::size_t kN = 77;

cucnf::Model test_model() {
  return cucnf::Model::initialize({kDim, 16, 8}, 41);
}

cucnf::SolverOptions options_for(cucnf::Precision p) {
  cucnf::SolverOptions o;
  o.method = p == cucnf::Precision::float64 ? cucnf::Method::dopri5 : cucnf::Method::fehlberg2;
  o.rtol = o.atol = p == cucnf::Precision::float64 ? 1e-8 : 1e-5;
  return o;
}

const char* precision_name(cucnf::Precision p) {
  return p == cucnf::Precision::float64 ? "float64 Flow" : "float32 Flow";
}

// Agreement with the host-vector API of the same Flow (see the tolerances above).
template <class T>
::testing::AssertionResult same_as_host_api(const std::vector<double>& device,
                                            const std::vector<double>& host) {
  const double tol = sizeof(T) == 8 ? 1e-12 : 1e-6;
  return all_close(device, host, tol, sizeof(T) == 8 ? 0.0 : tol);
}

// Agreement with the CPU float64 backend for a Flow of precision p.
template <class T>
::testing::AssertionResult same_as_cpu(const std::vector<double>& device,
                                       const std::vector<double>& cpu, cucnf::Precision p) {
  const double tol = p == cucnf::Precision::float64 ? (sizeof(T) == 8 ? 1e-9 : 1e-6) : 1e-3;
  return all_close(device, cpu, tol, tol);
}

void expect_same_stats(const cucnf::SolveStats& a, const cucnf::SolveStats& b) {
  EXPECT_EQ(a.nfe, b.nfe);
  EXPECT_EQ(a.accepted, b.accepted);
  EXPECT_EQ(a.rejected, b.rejected);
}

template <class T>
void check_log_prob(cucnf::Flow& gpu, cucnf::Precision p, const cucnf::LogProbResult& cpu) {
  SCOPED_TRACE(sizeof(T) == 8 ? "double arrays" : "float arrays");
  const cucnf::SolverOptions o = options_for(p);
  const std::vector<double> x = random_values(kN * kDim, -2.0, 2.0, 11);
  const cucnf::LogProbResult host = gpu.log_prob(x, o);
  UserStream stream;
  const cudaStream_t s = stream.get();
  DeviceArray<T> dx(kN * kDim), logp(kN), z0(kN * kDim), delta(kN);
  for (DeviceArray<T>* a : {&dx, &logp, &z0, &delta}) a->poison(s);
  dx.upload(x, s);
  cucnf::DeviceLogProbArrays<T> io;
  io.x = dx.get();
  io.n = kN;
  io.log_prob = logp.get();
  io.z0 = z0.get();
  io.delta_logp = delta.get();
  const cucnf::SolveStats stats = gpu.log_prob(io, cucnf::CudaStream{s}, o);
  const std::vector<double> lp = logp.download(s);
  EXPECT_TRUE(same_as_host_api<T>(lp, host.log_prob));
  EXPECT_TRUE(same_as_host_api<T>(z0.download(s), host.z0));
  EXPECT_TRUE(same_as_host_api<T>(delta.download(s), host.delta_logp));
  expect_same_stats(stats, host.stats);
  EXPECT_TRUE(same_as_cpu<T>(lp, cpu.log_prob, p));
}

template <class T>
void check_sample(cucnf::Flow& gpu, cucnf::Precision p, const cucnf::SampleResult& cpu) {
  SCOPED_TRACE(sizeof(T) == 8 ? "double arrays" : "float arrays");
  const cucnf::SolverOptions o = options_for(p);
  const cucnf::SampleResult host = gpu.sample(kN, 9, o);
  UserStream stream;
  const cudaStream_t s = stream.get();
  DeviceArray<T> x(kN * kDim), logp(kN), z0(kN * kDim);
  for (DeviceArray<T>* a : {&x, &logp, &z0}) a->poison(s);
  cucnf::DeviceSampleArrays<T> io;
  io.n = kN;
  io.seed = 9;
  io.x = x.get();
  io.log_prob = logp.get();
  io.z0 = z0.get();
  const cucnf::SolveStats stats = gpu.sample(io, cucnf::CudaStream{s}, o);
  const std::vector<double> xs = x.download(s);
  // The base draws: the host's libm and the device's may differ in the last bit.
  EXPECT_TRUE(all_close(z0.download(s), host.z0, sizeof(T) == 8 ? 1e-14 : 1e-6, 0.0));
  EXPECT_TRUE(same_as_host_api<T>(xs, host.x));
  EXPECT_TRUE(same_as_host_api<T>(logp.download(s), host.log_prob));
  expect_same_stats(stats, host.stats);
  EXPECT_TRUE(same_as_cpu<T>(xs, cpu.x, p));
}

template <class T>
void check_gradient(cucnf::Flow& gpu, cucnf::Precision p, const cucnf::GradientOptions& g,
                    const cucnf::GradientResult& cpu, bool optional_loss) {
  SCOPED_TRACE(sizeof(T) == 8 ? "double arrays" : "float arrays");
  const cucnf::SolverOptions o = options_for(p);
  const std::vector<double> x = random_values(kN * kDim, -2.0, 2.0, 12);
  const cucnf::GradientResult host = gpu.gradient(x, o, g);
  const std::size_t count = gpu.model().shape().parameter_count();
  UserStream stream;
  const cudaStream_t s = stream.get();
  DeviceArray<T> dx(kN * kDim), grad(count), loss(1);
  for (DeviceArray<T>* a : {&dx, &grad, &loss}) a->poison(s);
  dx.upload(x, s);
  cucnf::DeviceGradientArrays<T> io;
  io.x = dx.get();
  io.n = kN;
  io.grad = grad.get();
  io.loss = loss.get();
  const cucnf::DeviceGradientStats stats = gpu.gradient(io, cucnf::CudaStream{s}, o, g);
  const std::vector<double> gr = grad.download(s);
  const double l = loss.download(s)[0];
  const double tol = sizeof(T) == 8 ? 1e-12 : 1e-6;
  EXPECT_NEAR(l, host.loss, tol * std::fabs(host.loss));
  EXPECT_LT(relative_error(gr, host.grad), tol);
  expect_same_stats(stats.forward, host.forward);
  expect_same_stats(stats.backward, host.backward);
  if (p == cucnf::Precision::float64) {  // float outputs: at most their rounding, 6e-8
    EXPECT_NEAR(l, cpu.loss, (sizeof(T) == 8 ? 1e-9 : 1e-7) * std::fabs(cpu.loss));
    EXPECT_LT(relative_error(gr, cpu.grad), sizeof(T) == 8 ? 1e-7 : 2e-7);
  } else {
    EXPECT_NEAR(l, cpu.loss, 1e-3 * std::fabs(cpu.loss) + 1e-4);
    EXPECT_LT(relative_error(gr, cpu.grad), 2e-2);
  }
  if (!optional_loss) return;

  // The loss is optional: without it the gradient is the same.
  grad.poison(s);
  io.loss = nullptr;
  gpu.gradient(io, cucnf::CudaStream{s}, o, g);
  EXPECT_EQ(grad.download(s), gr);
}

}  // namespace

TEST(GpuDeviceArrays, LogProbMatchesTheHostVectorApiAndTheCpu) {
  SKIP_WITHOUT_GPU();
  const cucnf::Model model = test_model();
  cucnf::Flow cpu(model, cucnf::Device::cpu, cucnf::Precision::float64);
  const std::vector<double> x = random_values(kN * kDim, -2.0, 2.0, 11);
  for (cucnf::Precision p : {cucnf::Precision::float64, cucnf::Precision::float32}) {
    SCOPED_TRACE(precision_name(p));
    const cucnf::LogProbResult expected = cpu.log_prob(x, options_for(p));
    cucnf::Flow gpu(model, cucnf::Device::cuda, p);
    check_log_prob<double>(gpu, p, expected);
    check_log_prob<float>(gpu, p, expected);
  }
}

TEST(GpuDeviceArrays, SampleMatchesTheHostVectorApiAndTheCpu) {
  SKIP_WITHOUT_GPU();
  const cucnf::Model model = test_model();
  cucnf::Flow cpu(model, cucnf::Device::cpu, cucnf::Precision::float64);
  for (cucnf::Precision p : {cucnf::Precision::float64, cucnf::Precision::float32}) {
    SCOPED_TRACE(precision_name(p));
    const cucnf::SampleResult expected = cpu.sample(kN, 9, options_for(p));
    cucnf::Flow gpu(model, cucnf::Device::cuda, p);
    check_sample<double>(gpu, p, expected);
    check_sample<float>(gpu, p, expected);
  }
}

TEST(GpuDeviceArrays, GradientMatchesTheHostVectorApiAndTheCpu) {
  SKIP_WITHOUT_GPU();
  const cucnf::Model model = test_model();
  cucnf::Flow cpu(model, cucnf::Device::cpu, cucnf::Precision::float64);
  const std::vector<double> x = random_values(kN * kDim, -2.0, 2.0, 12);
  for (cucnf::Adjoint a : {cucnf::Adjoint::continuous, cucnf::Adjoint::discrete}) {
    SCOPED_TRACE(a == cucnf::Adjoint::continuous ? "continuous adjoint" : "discrete adjoint");
    cucnf::GradientOptions g;
    g.adjoint = a;
    for (cucnf::Precision p : {cucnf::Precision::float64, cucnf::Precision::float32}) {
      SCOPED_TRACE(precision_name(p));
      const cucnf::GradientResult expected = cpu.gradient(x, options_for(p), g);
      cucnf::Flow gpu(model, cucnf::Device::cuda, p);
      check_gradient<double>(gpu, p, g, expected, p == cucnf::Precision::float64);
      check_gradient<float>(gpu, p, g, expected, false);
    }
  }
}

// Two calls on two unordered streams, then a third on the legacy default stream, with no
// synchronisation between them: each reads its own input, once its stream's upload has run,
// and writes its own outputs before later work on its stream reads them, although all three
// share the Flow's workspace.
TEST(GpuDeviceArrays, FollowCallersStreamsIncludingTheLegacyDefaultStream) {
  SKIP_WITHOUT_GPU();
  const cucnf::Model model = test_model();
  cucnf::Flow gpu(model, cucnf::Device::cuda, cucnf::Precision::float64);
  const cucnf::SolverOptions o = options_for(cucnf::Precision::float64);
  UserStream one, two;
  const cudaStream_t legacy = nullptr;
  const cudaStream_t streams[3] = {one.get(), two.get(), legacy};
  std::vector<std::vector<double>> x;
  std::vector<std::unique_ptr<DeviceArray<double>>> in, out;
  for (int k = 0; k < 3; ++k) {
    x.push_back(random_values(kN * kDim, -2.0, 2.0, 20 + k));
    in.push_back(std::make_unique<DeviceArray<double>>(kN * kDim));
    out.push_back(std::make_unique<DeviceArray<double>>(kN));
    in[k]->poison(streams[k]);
    out[k]->poison(streams[k]);
    in[k]->upload(x[k], streams[k]);
    cucnf::DeviceLogProbArrays<double> io;
    io.x = in[k]->get();
    io.n = kN;
    io.log_prob = out[k]->get();
    gpu.log_prob(io, cucnf::CudaStream{streams[k]}, o);
  }
  for (int k = 2; k >= 0; --k) {  // the last first: the earlier results must still be there
    SCOPED_TRACE(k);
    EXPECT_TRUE(all_close(out[k]->download(streams[k]), gpu.log_prob(x[k], o).log_prob, 1e-12, 0));
  }
}

// A Flow on the CPU refuses device arrays before touching them (no GPU needed).
TEST(GpuDeviceArrays, RefusedByAFlowOnTheCpu) {
  cucnf::Flow cpu(test_model(), cucnf::Device::cpu);
  float a[kN * kDim] = {}, b[kN] = {};
  cucnf::DeviceLogProbArrays<float> io;
  io.x = a;
  io.n = kN;
  io.log_prob = b;
  expect_error([&] { cpu.log_prob(io, cucnf::CudaStream{}); }, cucnf::ErrorKind::invalid_argument,
               {"Device::cuda", "runs on cpu"});
  cucnf::DeviceSampleArrays<double> s;
  expect_error([&] { cpu.sample(s, cucnf::CudaStream{}); }, cucnf::ErrorKind::invalid_argument,
               {"Device::cuda"});
  cucnf::DeviceGradientArrays<float> g;
  expect_error([&] { cpu.gradient(g, cucnf::CudaStream{}); }, cucnf::ErrorKind::invalid_argument,
               {"Device::cuda"});
}

TEST(GpuDeviceArrays, BadInputsAreClearErrors) {
  SKIP_WITHOUT_GPU();
  cucnf::Flow gpu(test_model(), cucnf::Device::cuda, cucnf::Precision::float32);
  UserStream stream;
  const cucnf::CudaStream s{stream.get()};
  DeviceArray<float> x(kN * kDim), logp(kN), grad(gpu.model().shape().parameter_count());
  x.poison(stream.get());
  x.upload(random_values(kN * kDim, -2.0, 2.0, 13), stream.get());
  const auto valid = [&] {
    cucnf::DeviceLogProbArrays<float> io;
    io.x = x.get();
    io.n = kN;
    io.log_prob = logp.get();
    return io;
  };
  const auto log_prob_error = [&](cucnf::DeviceLogProbArrays<float> io,
                                  std::initializer_list<const char*> fragments,
                                  cucnf::SolverOptions o = {}) {
    expect_error([&] { gpu.log_prob(io, s, o); }, cucnf::ErrorKind::invalid_argument, fragments);
  };
  auto io = valid();
  io.x = nullptr;
  log_prob_error(io, {"DeviceLogProbArrays::x is null"});
  io = valid();
  io.log_prob = nullptr;
  log_prob_error(io, {"DeviceLogProbArrays::log_prob is null"});
  io = valid();
  io.n = 0;
  log_prob_error(io, {"DeviceLogProbArrays.n is 0"});
  io.n = (std::size_t(1) << 30) + 1;
  log_prob_error(io, {"at most 2^30"});
  // Host memory where device memory belongs: pageable, then page-locked.
  std::vector<float> host(kN * kDim, 0.5f);
  io = valid();
  io.x = host.data();
  log_prob_error(io, {"DeviceLogProbArrays::x", "host memory", "std::vector"});
  float* pinned = nullptr;
  CUDA_OK(cudaMallocHost(reinterpret_cast<void**>(&pinned), kN * sizeof(float)));
  io = valid();
  io.log_prob = pinned;
  log_prob_error(io, {"DeviceLogProbArrays::log_prob", "page-locked host memory"});
  CUDA_OK(cudaFreeHost(pinned));
  // Outputs that overlap; an output over the input is allowed (checked below).
  io = valid();
  io.delta_logp = logp.get() + 1;
  log_prob_error(io, {"log_prob and DeviceLogProbArrays::delta_logp overlap"});
  cucnf::SolverOptions bad;
  bad.rtol = -1.0;
  log_prob_error(valid(), {"rtol"}, bad);

  cucnf::DeviceSampleArrays<float> sample;
  sample.n = kN;
  expect_error([&] { gpu.sample(sample, s); }, cucnf::ErrorKind::invalid_argument,
               {"DeviceSampleArrays::x is null"});
  cucnf::DeviceGradientArrays<float> g;
  g.x = x.get();
  g.n = kN;
  expect_error([&] { gpu.gradient(g, s); }, cucnf::ErrorKind::invalid_argument,
               {"DeviceGradientArrays::grad is null"});
  g.grad = grad.get();
  cucnf::GradientOptions bad_gradient;
  bad_gradient.adjoint_rtol = -1.0;
  expect_error([&] { gpu.gradient(g, s, {}, bad_gradient); }, cucnf::ErrorKind::invalid_argument,
               {"adjoint"});

  // A NaN in the input stops the solve; the Flow and the stream stay usable.
  DeviceArray<float> nan_x(kN * kDim);
  nan_x.poison(stream.get());
  io = valid();
  io.x = nan_x.get();
  expect_error([&] { gpu.log_prob(io, s); }, cucnf::ErrorKind::non_finite_state, {});
  // log_prob written over its own input's first kN values: allowed, and right.
  DeviceArray<float> same(kN * kDim);
  const std::vector<double> points = random_values(kN * kDim, -2.0, 2.0, 13);
  same.upload(points, stream.get());
  io = valid();
  io.x = same.get();
  io.log_prob = same.get();
  gpu.log_prob(io, s);
  std::vector<double> lp = same.download(stream.get());
  lp.resize(kN);
  EXPECT_TRUE(all_close(lp, gpu.log_prob(points).log_prob, 1e-6, 1e-6));
}
