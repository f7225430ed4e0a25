// What crosses between host and device, read from the emulated device's counters: the
// device-array API moves no sample data (only the step controller's few bytes per poll), and the
// host-vector API moves its points, results and gradients through page-locked staging memory,
// never pageable memory. Built only with CUCNF_EMULATE_GPU (the counters are the layer's).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "device_array.hpp"
#include "simt/simt.hpp"

namespace {

constexpr int kDim = 2;

// Fixed steps: the same steps, so the same controller traffic, for any number of points. A short
// time span (t from 0 to 1, 4 steps) keeps the emulated solves quick.
cucnf::SolverOptions fixed_rk4() {
  cucnf::SolverOptions o;
  o.method = cucnf::Method::rk4;
  o.step_size = 0.25;
  return o;
}

cucnf::Model small_model() {
  return cucnf::Model::initialize({kDim, 16, 8}, 5, 0.0, 1.0);
}

struct Traffic {
  std::uint64_t h2d = 0, d2h = 0, syncs = 0;
};

// The bytes each way of the three device-array calls on n points (their arrays made, filled and
// read outside the measurement; one warm-up call sizes the Flow's workspace first).
Traffic device_array_traffic(cucnf::Flow& flow, std::size_t n) {
  UserStream stream;
  const cudaStream_t s = stream.get();
  const std::size_t params = flow.model().shape().parameter_count();
  DeviceArray<float> x(n * kDim), logp(n), samples(n * kDim), grad(params), loss(1);
  for (DeviceArray<float>* a : {&x, &logp, &samples, &grad, &loss}) a->poison(s);
  x.upload(random_values(n * kDim, -2.0, 2.0, 7), s);
  cucnf::DeviceLogProbArrays<float> lp;
  lp.x = x.get();
  lp.n = n;
  lp.log_prob = logp.get();
  cucnf::DeviceSampleArrays<float> sa;
  sa.n = n;
  sa.seed = 3;
  sa.x = samples.get();
  sa.log_prob = logp.get();
  cucnf::DeviceGradientArrays<float> ga;
  ga.x = x.get();
  ga.n = n;
  ga.grad = grad.get();
  ga.loss = loss.get();
  auto calls = [&] {
    flow.log_prob(lp, cucnf::CudaStream{s}, fixed_rk4());
    flow.sample(sa, cucnf::CudaStream{s}, fixed_rk4());
    flow.gradient(ga, cucnf::CudaStream{s}, fixed_rk4());
  };
  calls();  // warm-up
  CUDA_OK(cudaStreamSynchronize(s));
  simt::reset_counters();
  calls();
  const simt::Counters k = simt::counters();
  Traffic t{k.bytes_h2d, k.bytes_d2h, k.host_syncs};
  std::printf("device arrays, %zu points: %llu B to device, %llu B to host, %llu host syncs\n", n,
              (unsigned long long)t.h2d, (unsigned long long)t.d2h, (unsigned long long)t.syncs);
  // The results were written (not NaN), so the calls did their work.
  for (double v : logp.download(s)) EXPECT_TRUE(std::isfinite(v));
  for (double v : grad.download(s)) EXPECT_TRUE(std::isfinite(v));
  return t;
}

}  // namespace

// Ten times the points, the same bytes: nothing per point crosses, and what does cross (the
// controller) is less than the larger batch's points would be as floats.
TEST(EmulatedDeviceArrays, CopyNoSampleDataBetweenHostAndDevice) {
  cucnf::Flow flow(small_model(), cucnf::Device::cuda, cucnf::Precision::float32);
  const Traffic small = device_array_traffic(flow, 40);
  const Traffic large = device_array_traffic(flow, 400);
  EXPECT_EQ(large.h2d, small.h2d);
  EXPECT_EQ(large.d2h, small.d2h);
  EXPECT_EQ(large.syncs, small.syncs);
  EXPECT_GT(small.d2h, 0u) << "the controller's polls are not counted";
  EXPECT_LT(large.h2d + large.d2h, 400 * kDim * sizeof(float));
}

// The host-vector API on the same work: its points and results do cross (the counters see
// them), all of them through page-locked memory.
TEST(EmulatedDeviceArrays, HostVectorApiStagesThroughPinnedMemory) {
  cucnf::Flow flow(small_model(), cucnf::Device::cuda, cucnf::Precision::float32);
  const std::size_t n = 200;
  const std::vector<double> x = random_values(n * kDim, -2.0, 2.0, 7);
  auto calls = [&] {
    flow.log_prob(x, fixed_rk4());
    flow.sample(n, 3, fixed_rk4());
    flow.gradient(x, fixed_rk4());
  };
  calls();  // warm-up: the staging buffer is sized here
  simt::reset_counters();
  calls();
  const simt::Counters k = simt::counters();
  std::printf("host vectors, %zu points: %llu B to device, %llu B to host, %llu B pageable\n", n,
              (unsigned long long)k.bytes_h2d, (unsigned long long)k.bytes_d2h,
              (unsigned long long)k.bytes_pageable);
  EXPECT_GE(k.bytes_h2d, 2 * n * kDim * sizeof(float)) << "the points were not counted";
  EXPECT_GE(k.bytes_d2h, 2 * n * kDim * sizeof(float)) << "the results were not counted";
  EXPECT_EQ(k.bytes_pageable, 0u);
}
