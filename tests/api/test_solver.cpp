// Semantics of the public solves on the CPU backend: directions, outputs, sampling, stats.
#include <gtest/gtest.h>

#include <cmath>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "reference.hpp"

namespace {

cucnf::SolverOptions tol(double t, cucnf::Method m = cucnf::Method::dopri5) {
  cucnf::SolverOptions o;
  o.method = m;
  o.rtol = o.atol = t;
  return o;
}

}  // namespace

// Sampling then evaluating the density of the samples gives back the same log p.
TEST(Solver, SampleThenLogProbRoundTrips) {
  cucnf::Flow flow(cucnf::Model::load(reference().path), cucnf::Device::cpu,
                   cucnf::Precision::float64);
  const cucnf::SampleResult s = flow.sample(40, 123, tol(1e-10));
  ASSERT_EQ(s.x.size(), 80u);
  const cucnf::LogProbResult r = flow.log_prob(s.x, tol(1e-10));
  EXPECT_TRUE(all_close(r.log_prob, s.log_prob, 1e-6, 1e-7));
  EXPECT_TRUE(all_close(r.z0, s.z0, 1e-6, 1e-7));
}

TEST(Solver, SamplingIsReproducibleFromItsSeed) {
  cucnf::Flow flow(cucnf::Model::initialize({3, 6, 5}, 9), cucnf::Device::cpu,
                   cucnf::Precision::float64);
  const cucnf::SampleResult a = flow.sample(7, 1, tol(1e-6));
  const cucnf::SampleResult b = flow.sample(7, 1, tol(1e-6));
  const cucnf::SampleResult c = flow.sample(7, 2, tol(1e-6));
  EXPECT_EQ(a.x, b.x);
  EXPECT_NE(a.x, c.x);
  EXPECT_EQ(a.z0, cucnf::base_samples(flow.model(), 7, 1));  // the draws sample() starts from
  // Base draws have the base variance: mean of z0^2 close to 0.1 over many samples.
  const cucnf::SampleResult many = flow.sample(4000, 5, tol(1e-3, cucnf::Method::bosh3));
  double sq = 0;
  for (double v : many.z0) sq += v * v;
  EXPECT_NEAR(sq / many.z0.size(), 0.1, 0.01);
}

// A trajectory through intermediate times ends where a direct solve ends.
TEST(Solver, TrajectoryAgreesWithADirectSolve) {
  cucnf::Flow flow(cucnf::Model::load(reference().path), cucnf::Device::cpu,
                   cucnf::Precision::float64);
  const std::vector<double> x(reference().x.begin(), reference().x.begin() + 20);
  const cucnf::LogProbResult direct = flow.log_prob(x, tol(1e-10));
  const cucnf::TrajectoryResult path = flow.trajectory(x, {10.0, 7.0, 3.5, 0.0}, tol(1e-10));
  const std::vector<double> end(path.z.end() - 20, path.z.end());
  EXPECT_TRUE(all_close(end, direct.z0, 1e-7, 1e-8));
  const std::vector<double> start(path.z.begin(), path.z.begin() + 20);
  EXPECT_EQ(start, x);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(path.delta_logp[i], 0.0);
}

// The model's interval may run either way; the solve follows it.
TEST(Solver, ReversedIntervalModel) {
  const cucnf::Model m = cucnf::Model::initialize({2, 6, 4}, 4);
  const cucnf::Model reversed(m.shape(), 3.0, -1.0, 0.5, m.params());
  cucnf::Flow flow(reversed, cucnf::Device::cpu, cucnf::Precision::float64);
  const cucnf::SampleResult s = flow.sample(10, 3, tol(1e-10));
  const cucnf::LogProbResult r = flow.log_prob(s.x, tol(1e-10));
  EXPECT_TRUE(all_close(r.log_prob, s.log_prob, 1e-6, 1e-7));
}

// Statistics add up: FSAL methods spend S - 1 evaluations per attempt plus two at the start.
TEST(Solver, StatsCountEvaluationsAndSteps) {
  cucnf::Flow flow(cucnf::Model::load(reference().path), cucnf::Device::cpu,
                   cucnf::Precision::float64);
  const std::vector<double>& x = reference().x;
  const cucnf::LogProbResult f2 = flow.log_prob(x, tol(1e-5, cucnf::Method::fehlberg2));
  EXPECT_EQ(f2.stats.nfe, 2 + 2 * (f2.stats.accepted + f2.stats.rejected));
  const cucnf::LogProbResult d5 = flow.log_prob(x, tol(1e-5));
  EXPECT_EQ(d5.stats.nfe, 2 + 6 * (d5.stats.accepted + d5.stats.rejected));
  EXPECT_LT(d5.stats.accepted, f2.stats.accepted);
  cucnf::SolverOptions first = tol(1e-5);
  first.step_size = 0.01;  // a given first step skips Hairer's probe
  const cucnf::LogProbResult given = flow.log_prob(x, first);
  EXPECT_EQ(given.stats.nfe, 1 + 6 * (given.stats.accepted + given.stats.rejected));
}

// Loosening the tolerance costs accuracy, within the tolerance's order.
TEST(Solver, AccuracyFollowsTolerance) {
  cucnf::Flow flow(cucnf::Model::load(reference().path), cucnf::Device::cpu,
                   cucnf::Precision::float64);
  const Reference& ref = reference();
  for (double t : {1e-4, 1e-6, 1e-8}) {
    const cucnf::LogProbResult r = flow.log_prob(ref.x, tol(t));
    EXPECT_LT(relative_error(r.log_prob, ref.density_logp), 200 * t) << "tol " << t;
  }
}

// The CPU's float32 arithmetic against its float64 reference on the PyTorch model, at the
// demo's tolerances (1e-5): log p within 5e-4 nats, the loss within 1e-5 relative and the
// gradient within 1e-4 of its largest entry (seen: 7.7e-5, 1.3e-8 and 1.8e-7; float32 rounding
// grown by the solves and step sequences that may differ; a_theta accumulates in float64).
TEST(Solver, Float32CpuAgreesWithFloat64) {
  const cucnf::Model model = cucnf::Model::load(reference().path);
  cucnf::Flow f64(model, cucnf::Device::cpu, cucnf::Precision::float64);
  cucnf::Flow f32(model, cucnf::Device::cpu, cucnf::Precision::float32);
  EXPECT_NE(f32.device_description().find("float32"), std::string::npos);
  const std::vector<double>& x = reference().x;
  const cucnf::LogProbResult a = f64.log_prob(x, tol(1e-5));
  const cucnf::LogProbResult b = f32.log_prob(x, tol(1e-5));
  EXPECT_TRUE(all_close(b.log_prob, a.log_prob, 0.0, 5e-4));
  const cucnf::GradientResult ga = f64.gradient(x, tol(1e-5, cucnf::Method::fehlberg2));
  const cucnf::GradientResult gb = f32.gradient(x, tol(1e-5, cucnf::Method::fehlberg2));
  EXPECT_NEAR(gb.loss, ga.loss, 1e-5 * std::fabs(ga.loss));
  EXPECT_LE(relative_error(gb.grad, ga.grad), 1e-4);
}

// The CPU backend keeps its solvers' memory between calls (a warm training iteration allocates
// nothing): a Flow that has just solved other batches sizes, methods and directions gives the
// bits of a fresh Flow, in both precisions.
TEST(Solver, ReusedCpuWorkspacesGiveTheBitsOfAFreshFlow) {
  const cucnf::Model model = cucnf::Model::load(reference().path);
  const std::vector<double>& x = reference().x;
  const std::vector<double> small(x.begin(), x.begin() + 2 * 37);
  for (cucnf::Precision precision : {cucnf::Precision::float32, cucnf::Precision::float64}) {
    cucnf::Flow used(model, cucnf::Device::cpu, precision);
    used.gradient(small, tol(1e-6, cucnf::Method::dopri5));
    cucnf::SolverOptions rk4 = tol(1e-4, cucnf::Method::rk4);
    rk4.step_size = 0.1;
    used.sample(11, 3, rk4);
    cucnf::GradientOptions seminorm;
    seminorm.seminorm = true;
    used.gradient(x, tol(1e-5, cucnf::Method::bosh3), seminorm);
    cucnf::Flow fresh(model, cucnf::Device::cpu, precision);
    const cucnf::SolverOptions o = tol(1e-5, cucnf::Method::fehlberg2);
    EXPECT_EQ(used.gradient(x, o).grad, fresh.gradient(x, o).grad);
    EXPECT_EQ(used.log_prob(x, o).log_prob, fresh.log_prob(x, o).log_prob);
  }
}
