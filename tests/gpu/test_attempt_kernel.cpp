// The whole-attempt kernel (kernels/attempt_kernel.cu) on a few small shapes, one step at a
// time, against the float64 CPU backend: a fixed-step solve is exactly one launch per attempt,
// small enough to run under ThreadSanitizer in CI, where a missing barrier between the stages
// (warps of a block reading a stage's parameters while others load the next) is a reported race.
// LaunchGeometry covers groups looping over samples; these shapes have 2-warp blocks, several
// of them, and uneven lanes.
// Skips without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "cuda/launch_shape.hpp"

namespace cucnf::detail {
namespace {

struct Shape {
  int dim, width, hidden;
  std::size_t n;
  Method method;
};

std::string name(const Shape& s) {
  return "D" + std::to_string(s.dim) + "K" + std::to_string(s.width) + "N" + std::to_string(s.n) +
         method_name(s.method);
}

void PrintTo(const Shape& s, std::ostream* os) {
  *os << name(s);
}

class AttemptKernel : public ::testing::TestWithParam<Shape> {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

SolverOptions steps(Method method, int count) {
  SolverOptions o;
  o.method = method;
  o.step_size = 10.0 / count;
  return o;
}

TEST_P(AttemptKernel, FixedStepsOfTheCnfMatchTheCpuBackend) {
  const Shape s = GetParam();
  const Model model = Model::initialize({s.dim, s.width, s.hidden}, 53);
  const std::vector<double> x = random_values(s.n * s.dim, -2.0, 2.0, 9);
  const SolverOptions o = steps(s.method, 2);
  // The whole-attempt kernel serves this shape (or the test would test the stage kernel).
  ASSERT_GT(make_dims(int(s.n), make_param_layout(model.shape()), false, false, 8).group_lanes, 0);
  const LogProbResult e = Flow(model, Device::cpu, Precision::float64).log_prob(x, o);
  const LogProbResult r = Flow(model, Device::cuda, Precision::float64).log_prob(x, o);
  EXPECT_TRUE(all_close(r.log_prob, e.log_prob, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(r.z0, e.z0, 1e-12, 1e-12));
  EXPECT_EQ(r.stats.accepted, 2);
}

TEST_P(AttemptKernel, FixedStepsOfTheAdjointMatchTheCpuBackend) {
  const Shape s = GetParam();
  const Model model = Model::initialize({s.dim, s.width, s.hidden}, 59);
  const std::vector<double> x = random_values(s.n * s.dim, -2.0, 2.0, 10);
  const SolverOptions o = steps(s.method, 2);
  ASSERT_GT(make_dims(int(s.n), make_param_layout(model.shape()), true, false, 8).group_lanes, 0);
  const GradientResult e = Flow(model, Device::cpu, Precision::float64).gradient(x, o);
  const GradientResult r = Flow(model, Device::cuda, Precision::float64).gradient(x, o);
  EXPECT_NEAR(r.loss, e.loss, 1e-12 * std::fabs(e.loss));
  EXPECT_LT(relative_error(r.grad, e.grad), 1e-11);
}

// float64, so 4 units a lane (2 for the adjoint). D = 2, K = 64: 16 lanes per sample (32), 3 (5)
// blocks of 2 warps; D = 3, K = 7: 2 (4) lanes, one unit slot empty; D = 1, K = 33: 16 (32) lanes,
// most slots empty.
INSTANTIATE_TEST_SUITE_P(SmallShapes, AttemptKernel,
                         ::testing::Values(Shape{2, 64, 32, 9, Method::rk4},
                                           Shape{3, 7, 5, 37, Method::midpoint},
                                           Shape{1, 33, 4, 5, Method::rk4_38}),
                         [](const auto& info) { return name(info.param); });

}  // namespace
}  // namespace cucnf::detail

namespace cucnf::detail {
namespace {

// The launch shape at the seed's sizes: B = 300 takes 64-thread blocks so that they spread over
// the SMs; 1e6 samples take 256-thread blocks, as many as the SMs hold at once (the occupancy
// calculator's count), whose groups then loop over the samples.
TEST(AttemptKernelShape, SmallBatchesTakeSmallBlocksAndLargeOnesFillTheSMs) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const ParamLayout l = make_param_layout({2, 64, 32});
  for (bool adjoint : {false, true}) {
    SCOPED_TRACE(adjoint ? "adjoint" : "cnf");
    const SolveDims small = make_dims(300, l, adjoint, false, sizeof(float));
    EXPECT_EQ(small.group_lanes, adjoint ? 16 : 8);
    EXPECT_EQ(small.attempt_threads, 64);
    EXPECT_EQ(small.attempt_blocks, (300 * small.group_lanes + 63) / 64);
    const SolveDims large = make_dims(1000000, l, adjoint, false, sizeof(float));
    EXPECT_EQ(large.attempt_threads, 256);
    const int per_sm = attempt_blocks_per_sm(large, l, sizeof(float));
    ASSERT_GT(per_sm, 0);
    const int capped = (adjoint ? warp_caps().adjoint : warp_caps().cnf) / 8;
    EXPECT_EQ(large.attempt_blocks, std::min(per_sm * multiprocessors(), capped));
  }
}

}  // namespace
}  // namespace cucnf::detail
