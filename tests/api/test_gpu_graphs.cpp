// The CUDA backend replays batches of step attempts as CUDA graphs captured once per workspace
// shape (host/cuda/attempt_graphs.hpp): a Flow reused across tolerances, methods and batch sizes
// must recapture whenever an attempt's arguments change, so it gives exactly what a fresh Flow
// gives. A graph left from an earlier call would take other steps (or read freed buffers).
// Skips without a GPU.
#include <gtest/gtest.h>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"

namespace {

cucnf::SolverOptions adaptive(cucnf::Method method, double tol) {
  cucnf::SolverOptions o;
  o.method = method;
  o.rtol = o.atol = tol;
  return o;
}

TEST(GpuGraphs, AReusedFlowMatchesAFreshOneAcrossTolerancesMethodsAndBatches) {
  if (cucnf::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const cucnf::Model model = cucnf::Model::initialize({2, 16, 8}, 5);
  const std::vector<double> big = random_values(2 * 60, -2.0, 2.0, 4);
  const std::vector<double> small = random_values(2 * 9, -2.0, 2.0, 6);
  cucnf::Flow reused(model, cucnf::Device::cuda, cucnf::Precision::float64);
  struct Call {
    const std::vector<double>* x;
    cucnf::SolverOptions options;
  };
  const Call calls[] = {{&big, adaptive(cucnf::Method::dopri5, 1e-3)},
                        {&big, adaptive(cucnf::Method::dopri5, 1e-8)},
                        {&small, adaptive(cucnf::Method::dopri5, 1e-8)},
                        {&big, adaptive(cucnf::Method::bosh3, 1e-6)},
                        {&big, adaptive(cucnf::Method::dopri5, 1e-3)}};
  for (const Call& call : calls) {
    SCOPED_TRACE(std::string(cucnf::method_name(call.options.method)) + " rtol " +
                 ::testing::PrintToString(call.options.rtol) + ", " +
                 std::to_string(call.x->size() / 2) + " points");
    const cucnf::LogProbResult r = reused.log_prob(*call.x, call.options);
    const cucnf::LogProbResult e =
        cucnf::Flow(model, cucnf::Device::cuda, cucnf::Precision::float64)
            .log_prob(*call.x, call.options);
    EXPECT_EQ(r.stats.accepted, e.stats.accepted);
    EXPECT_EQ(r.stats.rejected, e.stats.rejected);
    EXPECT_EQ(r.log_prob, e.log_prob);
    const cucnf::GradientResult g = reused.gradient(*call.x, call.options);
    const cucnf::GradientResult f =
        cucnf::Flow(model, cucnf::Device::cuda, cucnf::Precision::float64)
            .gradient(*call.x, call.options);
    EXPECT_EQ(g.backward.accepted, f.backward.accepted);
    EXPECT_EQ(g.grad, f.grad);
  }
}

}  // namespace
