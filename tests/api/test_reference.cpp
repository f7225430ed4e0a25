// The CPU backend against the PyTorch original (torchdiffeq, float64, 1e-11): the external
// oracle of design §5.
#include <gtest/gtest.h>

#include <cmath>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "reference.hpp"

namespace {

cucnf::Flow cpu_flow() {
  return cucnf::Flow(cucnf::Model::load(reference().path), cucnf::Device::cpu,
                     cucnf::Precision::float64);
}

cucnf::SolverOptions tight(cucnf::Method m = cucnf::Method::dopri5) {
  cucnf::SolverOptions o;
  o.method = m;
  o.rtol = o.atol = 1e-11;
  return o;
}

}  // namespace

TEST(Reference, DensityLogProbAtTightTolerance) {
  cucnf::Flow flow = cpu_flow();
  const Reference& ref = reference();
  const cucnf::LogProbResult r = flow.log_prob(ref.x, tight());
  EXPECT_TRUE(all_close(r.log_prob, ref.density_logp, 1e-7, 1e-9));
  EXPECT_TRUE(all_close(r.z0, ref.density_z0, 1e-7, 1e-9));
  EXPECT_TRUE(all_close(r.delta_logp, ref.density_logp_diff, 1e-7, 1e-9));
  EXPECT_GT(r.stats.accepted, 10);
  EXPECT_EQ(r.stats.nfe, 2 + 6 * (r.stats.accepted + r.stats.rejected));
}

TEST(Reference, Tsit5AndBosh3AgreeAtTightTolerance) {
  cucnf::Flow flow = cpu_flow();
  const Reference& ref = reference();
  for (cucnf::Method m : {cucnf::Method::tsit5, cucnf::Method::bosh3}) {
    cucnf::SolverOptions o = tight(m);
    o.rtol = o.atol = m == cucnf::Method::bosh3 ? 1e-10 : 1e-11;
    const cucnf::LogProbResult r = flow.log_prob(ref.x, o);
    EXPECT_TRUE(all_close(r.log_prob, ref.density_logp, 1e-7, 1e-8)) << cucnf::method_name(m);
  }
}

TEST(Reference, FixedGridSolversAgreeToRounding) {
  cucnf::Flow flow = cpu_flow();
  const Reference& ref = reference();
  struct Case {
    cucnf::Method method;
    const FixedGridReference* expected;
    int stages;
  };
  const Case cases[] = {{cucnf::Method::euler, &ref.euler, 1},
                        {cucnf::Method::midpoint, &ref.midpoint, 2},
                        {cucnf::Method::rk4_38, &ref.rk4_38, 4}};
  for (const Case& c : cases) {
    SCOPED_TRACE(cucnf::method_name(c.method));
    cucnf::SolverOptions o;
    o.method = c.method;
    o.step_size = c.expected->step_size;
    const cucnf::LogProbResult r = flow.log_prob(ref.x, o);
    EXPECT_TRUE(all_close(r.z0, c.expected->z0, 1e-10, 1e-10));
    EXPECT_TRUE(all_close(r.delta_logp, c.expected->logp_diff_t0, 1e-10, 1e-10));
    const long long steps = std::llround(10.0 / c.expected->step_size);
    EXPECT_EQ(r.stats.accepted, steps);
    EXPECT_EQ(r.stats.rejected, 0);
    EXPECT_EQ(r.stats.nfe, steps * c.stages);
  }
}

TEST(Reference, SamplingTrajectoryAtItsFiveTimes) {
  cucnf::Flow flow = cpu_flow();
  const Reference& ref = reference();
  const cucnf::TrajectoryResult r = flow.trajectory(ref.sampling_z0, ref.sampling_times, tight());
  const std::size_t nd = ref.sampling_z0.size(), n = ref.n;
  ASSERT_EQ(r.z.size(), ref.sampling_times.size() * nd);
  for (std::size_t i = 0; i < ref.sampling_times.size(); ++i) {
    SCOPED_TRACE("t = " + std::to_string(ref.sampling_times[i]));
    const std::vector<double> z(r.z.begin() + i * nd, r.z.begin() + (i + 1) * nd);
    const std::vector<double> l(r.delta_logp.begin() + i * n, r.delta_logp.begin() + (i + 1) * n);
    EXPECT_TRUE(all_close(z, ref.sampling_z[i], 1e-7, 1e-9));
    EXPECT_TRUE(all_close(l, ref.sampling_logp_diff[i], 1e-7, 1e-9));
  }
}
