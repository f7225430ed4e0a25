// Kernel nodes per step attempt, read from the emulated device's counters: kernels launched
// directly plus the kernel nodes of CUDA graphs. A fixed-step solve makes exactly one attempt
// per step, so the count per attempt is exact: the CNF's attempt is hyper_forward and the
// whole-attempt kernel (issue 11's target: at most 3), the adjoint's adds hyper_backward and
// finalize (at most 5). Built only with CUCNF_EMULATE_GPU (the counters are the layer's).
#include <gtest/gtest.h>

#include <cstdio>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "simt/simt.hpp"

namespace {

constexpr int kSteps = 10;

cucnf::SolverOptions rk4_steps() {
  cucnf::SolverOptions o;
  o.method = cucnf::Method::rk4;
  o.step_size = 10.0 / kSteps;
  return o;
}

struct Kernels {
  unsigned long long direct = 0, graph_nodes = 0, graph_launches = 0;
  unsigned long long total() const { return direct + graph_nodes; }
};

template <class Fn>
Kernels count(Fn&& fn) {
  fn();  // warm-up: workspaces and graphs are made here
  simt::reset_counters();
  fn();
  const simt::Counters k = simt::counters();
  return {k.launches, k.graph_kernel_nodes, k.graph_launches};
}

class EmulatedLaunches : public ::testing::Test {
 protected:
  const cucnf::Model model = cucnf::Model::initialize({2, 64, 32}, 0);  // the seed's shape
  const std::vector<double> x = random_values(2 * 300, -2.0, 2.0, 3);   // B = 300
  cucnf::Flow flow{model, cucnf::Device::cuda, cucnf::Precision::float32};
};

TEST_F(EmulatedLaunches, ACnfAttemptIsTwoKernelNodesReplayedAsGraphs) {
  const Kernels k = count([&] {
    const cucnf::LogProbResult r = flow.log_prob(x, rk4_steps());
    ASSERT_EQ(r.stats.accepted, kSteps);
    ASSERT_EQ(r.stats.rejected, 0);
  });
  std::printf(
      "log p, %d rk4 steps: %llu kernels launched, %llu graph kernel nodes in %llu graph "
      "launches: %.2f per attempt\n",
      kSteps, k.direct, k.graph_nodes, k.graph_launches, double(k.total()) / kSteps);
  EXPECT_EQ(k.total(), 2u * kSteps);
  EXPECT_GT(k.graph_launches, 0u) << "the attempts were not replayed as graphs";
  EXPECT_LE(k.graph_launches, 2u) << "10 attempts are graphs of 8 and 2";
}

TEST_F(EmulatedLaunches, AnAdjointAttemptIsFourKernelNodes) {
  const Kernels density = count([&] { flow.log_prob(x, rk4_steps()); });
  const Kernels gradient = count([&] {
    const cucnf::GradientResult g = flow.gradient(x, rk4_steps());
    ASSERT_EQ(g.backward.accepted, kSteps);
  });
  // The gradient is the same density solve, then the loss and the adjoint's start (at most 4
  // kernels), then its attempts.
  const unsigned long long backward = gradient.total() - density.total();
  std::printf(
      "adjoint, %d rk4 steps: %llu kernel nodes beyond the density solve: %.2f per "
      "attempt with the start\n",
      kSteps, backward, double(backward) / kSteps);
  EXPECT_GE(backward, 4u * kSteps);
  EXPECT_LE(backward, 4u * kSteps + 4);
}

}  // namespace
