// Structural figures of the CUDA backend, read from the emulated device's counters: what stands
// in for GPU timings until a GPU is lent. After warm-up a solve allocates no device memory, and
// it synchronises with the host once per batch of step attempts, not once per attempt; a batch
// is sized from the last solve of the same kind, so a solve like it polls once per segment.
// Built only with CUCNF_EMULATE_GPU (the counters are the execution layer's).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "simt/simt.hpp"

namespace {

cucnf::SolverOptions dopri5(double tol) {
  cucnf::SolverOptions o;
  o.method = cucnf::Method::dopri5;
  o.rtol = o.atol = tol;
  return o;
}

struct Figures {
  simt::Counters k;
  long long attempts = 0;
};

template <class Fn>
Figures measure(Fn&& fn) {
  simt::reset_counters();
  Figures f;
  f.attempts = fn();
  f.k = simt::counters();
  return f;
}

void report(const char* what, const Figures& f) {
  std::printf(
      "%s: %lld attempts, %llu launches (%.2f per attempt), %llu host syncs, %llu "
      "allocations, %llu B to device, %llu B to host\n",
      what, f.attempts, (unsigned long long)f.k.launches, double(f.k.launches) / double(f.attempts),
      (unsigned long long)f.k.host_syncs, (unsigned long long)f.k.allocations,
      (unsigned long long)f.k.bytes_h2d, (unsigned long long)f.k.bytes_d2h);
}

TEST(EmulatedStructure, DensitySolveLikeTheLastPollsOnceAndAllocatesNothingWhenWarm) {
  const cucnf::Model model = cucnf::Model::initialize({2, 16, 8}, 4);
  const std::vector<double> x = random_values(2 * 64, -2.0, 2.0, 3);
  cucnf::Flow gpu(model, cucnf::Device::cuda, cucnf::Precision::float64);
  auto solve = [&] {
    const cucnf::LogProbResult r = gpu.log_prob(x, dopri5(1e-11));
    return r.stats.accepted + r.stats.rejected;
  };
  solve();  // warm-up: the workspace is sized here, and the batch of attempts learnt
  const Figures f = measure(solve);
  report("log p, 64 points, dopri5 1e-11", f);
  ASSERT_GE(f.attempts, 40) << "too few attempts to show batching";
  EXPECT_EQ(f.k.allocations, 0u);
  // One poll (the warm-up took as many attempts, and they were all enqueued at once), then the
  // output's read-back: a copy to pageable memory and the stream's synchronisation.
  EXPECT_LE(f.k.host_syncs, 1u + 2u);
  // dopri5 (FSAL): hyper_forward, 6 stages and finalize per attempt, with one spare attempt
  // enqueued past the end, plus the start (Hairer's two evaluations, 3 launches each).
  EXPECT_LE(f.k.launches, 8 * (f.attempts + 1) + 6);
}

// A training iteration at the seed's settings synchronises at most 4 times (issue 11): the
// density solve and the adjoint solve poll once each when the batch sized from the previous
// iteration suffices, and once more each when it falls short (the first iterations, whose
// attempts grow by half from one to the next, are the hardest case); the loss and the
// gradient's non-finite count come back with the adjoint solve's last poll, and Adam's update
// and the next batch are enqueued without waiting.
TEST(EmulatedStructure, TrainingIterationSyncsAtMostFourTimesAndAllocatesNothingWhenWarm) {
  cucnf::TrainOptions o;  // the seed's settings: fehlberg2 1e-5, continuous adjoint, Adam
  o.batch_size = 300;
  cucnf::Trainer trainer(cucnf::Model::initialize({2, 64, 32}, 0), o, cucnf::Device::cuda);
  auto step = [&] {
    const cucnf::IterationReport r = trainer.step();
    return r.forward.accepted + r.forward.rejected + r.backward.accepted + r.backward.rejected;
  };
  step();  // warm-up: workspaces sized, batches of attempts learnt
  for (int i = 2; i <= 6; ++i) {
    const Figures f = measure(step);
    report(("training iteration " + std::to_string(i) + ", B = 300, fehlberg2 1e-5").c_str(), f);
    EXPECT_EQ(f.k.allocations, 0u);
    EXPECT_LE(f.k.host_syncs, 4u) << "iteration " << i;
  }
}

// Flow::set_params uploads without waiting for the device (the copy from pageable memory is
// staged before it returns), and the solves enqueued after it see the new parameters.
TEST(EmulatedStructure, ParameterUploadCostsNoHostSynchronisation) {
  const cucnf::Model model = cucnf::Model::initialize({2, 16, 8}, 4);
  const cucnf::Model other = cucnf::Model::initialize({2, 16, 8}, 5);
  const std::vector<double> x = random_values(2 * 16, -2.0, 2.0, 3);
  cucnf::Flow gpu(model, cucnf::Device::cuda, cucnf::Precision::float64);
  gpu.log_prob(x, dopri5(1e-6));  // warm-up
  const Figures f = measure([&] {
    gpu.set_params(other.params());
    return 0LL;
  });
  EXPECT_EQ(f.k.host_syncs, 0u);
  cucnf::Flow fresh(other, cucnf::Device::cuda, cucnf::Precision::float64);
  EXPECT_EQ(gpu.log_prob(x, dopri5(1e-6)).log_prob, fresh.log_prob(x, dopri5(1e-6)).log_prob);
}

// New device memory is poisoned by an asynchronous memset on the backend's stream, not with a
// device-wide synchronisation: a density solve and a gradient that must grow their workspaces
// (a larger batch) wait for the device exactly as often as the same calls warm.
TEST(EmulatedStructure, GrowingTheWorkspaceCostsNoHostSynchronisation) {
  const cucnf::Model model = cucnf::Model::initialize({2, 16, 8}, 4);
  const std::vector<double> small = random_values(2 * 8, -2.0, 2.0, 5);
  const std::vector<double> x = random_values(2 * 48, -2.0, 2.0, 3);
  cucnf::Flow gpu(model, cucnf::Device::cuda, cucnf::Precision::float64);
  auto solve_and_gradient = [&] {
    const cucnf::LogProbResult r = gpu.log_prob(x, dopri5(1e-8));
    const cucnf::GradientResult g = gpu.gradient(x, dopri5(1e-6));
    return r.stats.accepted + r.stats.rejected + g.forward.accepted + g.forward.rejected +
           g.backward.accepted + g.backward.rejected;
  };
  gpu.log_prob(small, dopri5(1e-8));  // workspaces sized for 8 points
  gpu.gradient(small, dopri5(1e-6));
  const Figures growing = measure(solve_and_gradient);
  const Figures warm = measure(solve_and_gradient);
  report("log p and gradient, 48 points, growing", growing);
  report("log p and gradient, 48 points, warm", warm);
  ASSERT_GT(growing.k.allocations, 0u) << "the workspaces did not grow";
  EXPECT_EQ(warm.k.allocations, 0u);
  ASSERT_EQ(growing.attempts, warm.attempts);
  EXPECT_EQ(growing.k.host_syncs, warm.k.host_syncs);
}

// The discrete adjoint's step record is sized before the step loop from the previous solve: a
// gradient at twice the batch (the same points twice, so the same steps) records its steps with
// no growth inside the loop, where growing copies the record and waits for the copy. So it
// synchronises and copies exactly as often as when warm, while the very first gradient (nothing
// to size from) visibly grows in the loop, which must not change its result.
TEST(EmulatedStructure, DiscreteAdjointRecordIsSizedBeforeTheStepLoop) {
  const cucnf::Model model = cucnf::Model::initialize({2, 16, 8}, 4);
  const std::vector<double> x = random_values(2 * 24, -2.0, 2.0, 3);
  std::vector<double> twice = x;
  twice.insert(twice.end(), x.begin(), x.end());
  cucnf::Flow gpu(model, cucnf::Device::cuda, cucnf::Precision::float64);
  cucnf::GradientOptions g;
  g.adjoint = cucnf::Adjoint::discrete;
  cucnf::GradientResult result;
  auto gradient = [&](const std::vector<double>& points) {
    return [&] {
      result = gpu.gradient(points, dopri5(1e-8), g);
      return result.forward.accepted + result.forward.rejected;
    };
  };
  const Figures first = measure(gradient(x));
  const cucnf::GradientResult grown = result;
  const Figures again = measure(gradient(x));
  EXPECT_EQ(result.grad, grown.grad) << "growing the record inside the loop changed the gradient";
  EXPECT_EQ(result.loss, grown.loss);
  const Figures doubled = measure(gradient(twice));
  const Figures warm = measure(gradient(twice));
  report("discrete adjoint, 24 points, first", first);
  report("discrete adjoint, 24 points, again", again);
  report("discrete adjoint, 48 points, first", doubled);
  report("discrete adjoint, 48 points, warm", warm);
  ASSERT_GT(result.forward.accepted, 8) << "too few steps to need more than the first slots";
  // What this test counts does see growth inside the loop.
  EXPECT_GT(first.k.host_syncs, again.k.host_syncs);
  EXPECT_GT(first.k.bytes_d2d, again.k.bytes_d2d);
  ASSERT_GT(doubled.k.allocations, 0u) << "the batch did not grow the buffers";
  ASSERT_EQ(doubled.attempts, warm.attempts);
  EXPECT_EQ(doubled.k.host_syncs, warm.k.host_syncs);
  EXPECT_EQ(doubled.k.bytes_d2d, warm.k.bytes_d2d);
  EXPECT_EQ(warm.k.allocations, 0u);
}

}  // namespace
