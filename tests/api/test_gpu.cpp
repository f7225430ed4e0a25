// The CUDA backend against the CPU backend (float64) on the same inputs. Skips without a GPU.
//
// Tolerances: the float64 CUDA mode follows the same arithmetic and matches to ~1e-12 on fixed
// steps; float32 results carry ~1e-7 relative rounding per operation, a few hundred steps and
// the conditioning of the flow give ~1e-5, so they are compared at 1e-4 (fixed steps) and at
// the solver tolerance's order (adaptive, where a step may be accepted in one precision and
// rejected in the other).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "reference.hpp"

namespace {

#define SKIP_WITHOUT_GPU() \
  if (cucnf::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

// The CPU execution layer (CUCNF_EMULATE_GPU) runs every CUDA thread as a fiber: batches above a
// few thousand samples take minutes there, so they run only when CUCNF_EMULATED_LARGE=1.
bool emulated_gpu() {
  return cucnf::describe_device(cucnf::Device::cuda).find("emulated") != std::string::npos;
}
#define SKIP_LARGE_WHEN_EMULATED(n)                                         \
  if ((n) > 2000 && emulated_gpu() && !std::getenv("CUCNF_EMULATED_LARGE")) \
  GTEST_SKIP() << "too slow on the emulated device (set CUCNF_EMULATED_LARGE=1 to run it)"

struct GpuCase {
  int dim, width, hidden;
  std::size_t n;
};

std::string name(const GpuCase& c) {
  return "D" + std::to_string(c.dim) + "K" + std::to_string(c.width) + "H" +
         std::to_string(c.hidden) + "N" + std::to_string(c.n);
}

void PrintTo(const GpuCase& c, std::ostream* os) {
  *os << name(c);
}

cucnf::SolverOptions fixed_rk4(double step) {
  cucnf::SolverOptions o;
  o.method = cucnf::Method::rk4;
  o.step_size = step;
  return o;
}

cucnf::SolverOptions adaptive(cucnf::Method m, double tol) {
  cucnf::SolverOptions o;
  o.method = m;
  o.rtol = o.atol = tol;
  return o;
}

std::vector<double> points(const GpuCase& c, unsigned seed) {
  return random_values(c.n * c.dim, -2.0, 2.0, seed);
}

class GpuVsCpu : public ::testing::TestWithParam<GpuCase> {};

}  // namespace

TEST_P(GpuVsCpu, FixedStepLogProbFloat64AndFloat32) {
  SKIP_WITHOUT_GPU();
  const GpuCase c = GetParam();
  SKIP_LARGE_WHEN_EMULATED(c.n);
  const cucnf::Model model = cucnf::Model::initialize({c.dim, c.width, c.hidden}, 17);
  const std::vector<double> x = points(c, 1);
  // The CPU solves a subset for the largest batch: fixed steps treat samples independently.
  const std::size_t check = std::min<std::size_t>(c.n, 2000);
  const std::vector<double> x_check(x.begin(), x.begin() + check * c.dim);
  cucnf::Flow cpu(model, cucnf::Device::cpu, cucnf::Precision::float64);  // the reference
  const cucnf::LogProbResult expected = cpu.log_prob(x_check, fixed_rk4(0.5));
  for (cucnf::Precision precision : {cucnf::Precision::float64, cucnf::Precision::float32}) {
    const bool f64 = precision == cucnf::Precision::float64;
    SCOPED_TRACE(f64 ? "float64" : "float32");
    cucnf::Flow gpu(model, cucnf::Device::cuda, precision);
    const cucnf::LogProbResult r = gpu.log_prob(x, fixed_rk4(0.5));
    ASSERT_EQ(r.log_prob.size(), c.n);
    const std::vector<double> logp(r.log_prob.begin(), r.log_prob.begin() + check);
    const std::vector<double> z0(r.z0.begin(), r.z0.begin() + check * c.dim);
    EXPECT_TRUE(all_close(logp, expected.log_prob, f64 ? 1e-11 : 1e-4, f64 ? 1e-11 : 1e-4));
    EXPECT_TRUE(all_close(z0, expected.z0, f64 ? 1e-11 : 1e-4, f64 ? 1e-11 : 1e-4));
    EXPECT_EQ(r.stats.nfe, expected.stats.nfe);
    EXPECT_EQ(r.stats.accepted, expected.stats.accepted);
    for (double v : r.log_prob) ASSERT_TRUE(std::isfinite(v));  // every sample was written
  }
}

TEST_P(GpuVsCpu, AdaptiveLogProbAndSampling) {
  SKIP_WITHOUT_GPU();
  const GpuCase c = GetParam();
  if (c.n > 2000) GTEST_SKIP() << "the CPU reference would take minutes";
  const cucnf::Model model = cucnf::Model::initialize({c.dim, c.width, c.hidden}, 23);
  const std::vector<double> x = points(c, 2);
  cucnf::Flow cpu(model, cucnf::Device::cpu, cucnf::Precision::float64);  // the reference
  for (cucnf::Method m : {cucnf::Method::dopri5, cucnf::Method::fehlberg2}) {
    SCOPED_TRACE(cucnf::method_name(m));
    const cucnf::LogProbResult expected = cpu.log_prob(x, adaptive(m, 1e-8));
    cucnf::Flow gpu64(model, cucnf::Device::cuda, cucnf::Precision::float64);
    const cucnf::LogProbResult r64 = gpu64.log_prob(x, adaptive(m, 1e-8));
    EXPECT_TRUE(all_close(r64.log_prob, expected.log_prob, 1e-9, 1e-9));
    EXPECT_EQ(r64.stats.accepted, expected.stats.accepted);
    EXPECT_EQ(r64.stats.nfe, expected.stats.nfe);
    cucnf::Flow gpu32(model, cucnf::Device::cuda, cucnf::Precision::float32);
    const cucnf::LogProbResult r32 = gpu32.log_prob(x, adaptive(m, 1e-5));
    const cucnf::LogProbResult e5 = cpu.log_prob(x, adaptive(m, 1e-5));
    EXPECT_TRUE(all_close(r32.log_prob, e5.log_prob, 1e-3, 1e-3));
  }
  // Sampling: same base draws (same seed), same trajectory.
  cucnf::Flow gpu(model, cucnf::Device::cuda, cucnf::Precision::float64);
  const cucnf::SampleResult s_cpu = cpu.sample(c.n, 5, adaptive(cucnf::Method::dopri5, 1e-8));
  const cucnf::SampleResult s_gpu = gpu.sample(c.n, 5, adaptive(cucnf::Method::dopri5, 1e-8));
  EXPECT_EQ(s_cpu.z0, s_gpu.z0);
  EXPECT_TRUE(all_close(s_gpu.x, s_cpu.x, 1e-9, 1e-9));
  EXPECT_TRUE(all_close(s_gpu.log_prob, s_cpu.log_prob, 1e-9, 1e-9));
}

TEST_P(GpuVsCpu, TrajectoryOutputs) {
  SKIP_WITHOUT_GPU();
  const GpuCase c = GetParam();
  if (c.n > 2000) GTEST_SKIP() << "covered by the fixed-step test";
  const cucnf::Model model = cucnf::Model::initialize({c.dim, c.width, c.hidden}, 29);
  const std::vector<double> z = points(c, 3);
  const std::vector<double> times = {0.0, 1.5, 4.0, 10.0};
  cucnf::Flow cpu(model, cucnf::Device::cpu, cucnf::Precision::float64);  // the reference
  cucnf::Flow gpu(model, cucnf::Device::cuda, cucnf::Precision::float64);
  const cucnf::TrajectoryResult e = cpu.trajectory(z, times, adaptive(cucnf::Method::tsit5, 1e-8));
  const cucnf::TrajectoryResult r = gpu.trajectory(z, times, adaptive(cucnf::Method::tsit5, 1e-8));
  EXPECT_TRUE(all_close(r.z, e.z, 1e-9, 1e-9));
  EXPECT_TRUE(all_close(r.delta_logp, e.delta_logp, 1e-9, 1e-9));
}

TEST_P(GpuVsCpu, ContinuousAdjointGradient) {
  SKIP_WITHOUT_GPU();
  const GpuCase c = GetParam();
  if (c.n > 2000) GTEST_SKIP() << "the CPU reference would take minutes";
  const cucnf::Model model = cucnf::Model::initialize({c.dim, c.width, c.hidden}, 31);
  const std::vector<double> x = points(c, 4);
  cucnf::Flow cpu(model, cucnf::Device::cpu, cucnf::Precision::float64);  // the reference
  for (bool seminorm : {false, true}) {
    SCOPED_TRACE(seminorm ? "seminorm" : "full norm");
    cucnf::GradientOptions g;
    g.seminorm = seminorm;
    const cucnf::GradientResult e = cpu.gradient(x, adaptive(cucnf::Method::dopri5, 1e-8), g);
    cucnf::Flow gpu64(model, cucnf::Device::cuda, cucnf::Precision::float64);
    const cucnf::GradientResult r64 = gpu64.gradient(x, adaptive(cucnf::Method::dopri5, 1e-8), g);
    EXPECT_NEAR(r64.loss, e.loss, 1e-9 * std::fabs(e.loss));
    EXPECT_LT(relative_error(r64.grad, e.grad), 1e-7);
    EXPECT_EQ(r64.backward.accepted, e.backward.accepted);
    cucnf::Flow gpu32(model, cucnf::Device::cuda, cucnf::Precision::float32);
    const cucnf::GradientResult r32 =
        gpu32.gradient(x, adaptive(cucnf::Method::fehlberg2, 1e-5), g);
    const cucnf::GradientResult e5 = cpu.gradient(x, adaptive(cucnf::Method::fehlberg2, 1e-5), g);
    EXPECT_NEAR(r32.loss, e5.loss, 1e-3 * std::fabs(e5.loss) + 1e-4);
    EXPECT_LT(relative_error(r32.grad, e5.grad), 2e-2);
  }
}

TEST_P(GpuVsCpu, DiscreteAdjointGradient) {
  SKIP_WITHOUT_GPU();
  const GpuCase c = GetParam();
  if (c.n > 2000) GTEST_SKIP() << "the CPU reference would take minutes";
  const cucnf::Model model = cucnf::Model::initialize({c.dim, c.width, c.hidden}, 37);
  const std::vector<double> x = points(c, 5);
  cucnf::Flow cpu(model, cucnf::Device::cpu, cucnf::Precision::float64);  // the reference
  cucnf::GradientOptions g;
  g.adjoint = cucnf::Adjoint::discrete;
  // fehlberg2 (an FSAL point apart from the state), dopri5 (FSAL), rk4 (no FSAL).
  for (const cucnf::SolverOptions& o : {adaptive(cucnf::Method::fehlberg2, 1e-6),
                                        adaptive(cucnf::Method::dopri5, 1e-7), fixed_rk4(0.5)}) {
    SCOPED_TRACE(cucnf::method_name(o.method));
    const cucnf::GradientResult e = cpu.gradient(x, o, g);
    cucnf::Flow gpu64(model, cucnf::Device::cuda, cucnf::Precision::float64);
    const cucnf::GradientResult r64 = gpu64.gradient(x, o, g);
    EXPECT_NEAR(r64.loss, e.loss, 1e-10 * std::fabs(e.loss));
    EXPECT_LT(relative_error(r64.grad, e.grad), 1e-8);
    EXPECT_EQ(r64.forward.accepted, e.forward.accepted);
    EXPECT_EQ(r64.backward.nfe, e.backward.nfe);
    cucnf::Flow gpu32(model, cucnf::Device::cuda, cucnf::Precision::float32);
    const cucnf::GradientResult r32 = gpu32.gradient(x, o, g);
    EXPECT_LT(relative_error(r32.grad, e.grad), 2e-2);
  }
}

INSTANTIATE_TEST_SUITE_P(AwkwardSizes, GpuVsCpu,
                         ::testing::Values(GpuCase{2, 64, 32, 1}, GpuCase{2, 64, 32, 3},
                                           GpuCase{2, 64, 32, 7}, GpuCase{2, 64, 32, 33},
                                           GpuCase{2, 64, 32, 1000}, GpuCase{2, 64, 32, 100003},
                                           GpuCase{1, 1, 1, 33}, GpuCase{3, 7, 5, 19},
                                           GpuCase{5, 33, 8, 733}, GpuCase{17, 40, 3, 65}),
                         [](const auto& info) { return name(info.param); });

// The seed model on the reference points: float32 GPU against the float64 PyTorch oracle.
TEST(GpuReference, Float32DensityAgainstTheReference) {
  SKIP_WITHOUT_GPU();
  const Reference& ref = reference();
  cucnf::Flow gpu(cucnf::Model::load(ref.path), cucnf::Device::cuda);
  const cucnf::LogProbResult r = gpu.log_prob(ref.x, adaptive(cucnf::Method::dopri5, 1e-7));
  EXPECT_TRUE(all_close(r.log_prob, ref.density_logp, 1e-4, 1e-4));
  cucnf::Flow gpu64(cucnf::Model::load(ref.path), cucnf::Device::cuda, cucnf::Precision::float64);
  const cucnf::LogProbResult r64 = gpu64.log_prob(ref.x, adaptive(cucnf::Method::dopri5, 1e-11));
  EXPECT_TRUE(all_close(r64.log_prob, ref.density_logp, 1e-7, 1e-9));
}

TEST(GpuReference, SolveErrorsAreReportedFromTheDevice) {
  SKIP_WITHOUT_GPU();
  cucnf::Flow gpu(cucnf::Model::initialize({2, 8, 4}, 3), cucnf::Device::cuda);
  cucnf::SolverOptions o = adaptive(cucnf::Method::dopri5, 1e-9);
  o.max_num_steps = 3;
  EXPECT_THROW(gpu.log_prob({0.3, -0.2}, o), cucnf::Error);
  // The flow stays usable after a failed solve.
  const cucnf::LogProbResult r = gpu.log_prob({0.3, -0.2});
  EXPECT_TRUE(std::isfinite(r.log_prob[0]));
}

// Training on the device (rings batches drawn there, forward solve, continuous adjoint, Adam)
// takes the same iterations as the CPU backend: float64 to 1e-9, float32 within 1e-3 on the
// loss. The trainers are destroyed right after a step, while its Adam update may be in flight.
TEST(GpuTrain, IterationsMatchTheCpuBackend) {
  SKIP_WITHOUT_GPU();
  cucnf::TrainOptions o;
  o.batch_size = 48;
  o.data_seed = 5;
  const cucnf::Model model = cucnf::Model::initialize({2, 16, 8}, 3);
  cucnf::Trainer cpu(model, o, cucnf::Device::cpu, cucnf::Precision::float64);
  auto gpu64 =
      std::make_unique<cucnf::Trainer>(model, o, cucnf::Device::cuda, cucnf::Precision::float64);
  auto gpu32 =
      std::make_unique<cucnf::Trainer>(model, o, cucnf::Device::cuda, cucnf::Precision::float32);
  for (int i = 1; i <= 3; ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i));
    const cucnf::IterationReport e = cpu.step();
    const cucnf::IterationReport r64 = gpu64->step();
    const cucnf::IterationReport r32 = gpu32->step();
    EXPECT_NEAR(r64.loss, e.loss, 1e-9 * std::fabs(e.loss));
    EXPECT_EQ(r64.forward.accepted, e.forward.accepted);
    EXPECT_EQ(r64.backward.accepted, e.backward.accepted);
    EXPECT_NEAR(r32.loss, e.loss, 1e-3 * std::fabs(e.loss));
    EXPECT_TRUE(all_close(gpu64->model().params(), cpu.model().params(), 1e-8, 1e-9));
  }
  const cucnf::AdamState s_cpu = cpu.adam_state(), s_gpu = gpu64->adam_state();
  EXPECT_EQ(s_gpu.step, 3);
  EXPECT_TRUE(all_close(s_gpu.m, s_cpu.m, 1e-8, 1e-10));
  EXPECT_TRUE(all_close(s_gpu.v, s_cpu.v, 1e-8, 1e-12));
  gpu64->step();
  gpu64.reset();  // destroyed with the step's Adam update possibly still queued
  gpu32->step();
  gpu32.reset();
}

// A base variance of 1e308: log(2 pi s^2) overflows, log(2 pi) + log(s^2) does not. The device's
// loss (both adjoints) is finite and matches the CPU's.
TEST(GpuReference, HugeBaseVarianceGivesAFiniteLoss) {
  SKIP_WITHOUT_GPU();
  const cucnf::Model m = cucnf::Model::initialize({2, 4, 3}, 1, 0.0, 1.0, 1e308);
  const std::vector<double> x = {0.5, -0.25, 1.0, 2.0};
  cucnf::Flow cpu(m, cucnf::Device::cpu, cucnf::Precision::float64);
  cucnf::Flow gpu(m, cucnf::Device::cuda, cucnf::Precision::float64);
  for (cucnf::Adjoint a : {cucnf::Adjoint::continuous, cucnf::Adjoint::discrete}) {
    cucnf::GradientOptions g;
    g.adjoint = a;
    const cucnf::GradientResult e = cpu.gradient(x, adaptive(cucnf::Method::dopri5, 1e-8), g);
    const cucnf::GradientResult r = gpu.gradient(x, adaptive(cucnf::Method::dopri5, 1e-8), g);
    ASSERT_TRUE(std::isfinite(r.loss));
    EXPECT_NEAR(r.loss, e.loss, 1e-9 * std::fabs(e.loss));
  }
}
