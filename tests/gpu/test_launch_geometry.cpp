// Launch geometry: with fewer warps than samples each warp of the per-sample kernels loops over
// several samples, accumulating the error sums (every solve) and the adjoint's parameter
// partials. The caps are lowered to 1, 3 and 7 warps (a prime) so small batches exercise those
// sums; every result is compared with the float64 CPU backend. Skips without a GPU.
#include <gtest/gtest.h>

#include <cmath>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"
#include "cuda/launch_shape.hpp"

namespace cucnf::detail {
namespace {

struct Geometry {
  int warps;
  int dim, width, hidden;
  std::size_t n;
};

std::string name(const Geometry& g) {
  return "W" + std::to_string(g.warps) + "D" + std::to_string(g.dim) + "K" +
         std::to_string(g.width) + "N" + std::to_string(g.n);
}

void PrintTo(const Geometry& g, std::ostream* os) {
  *os << name(g);
}

class LaunchGeometry : public ::testing::TestWithParam<Geometry> {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
    saved_ = warp_caps();
    warp_caps() = {GetParam().warps, GetParam().warps};
  }
  void TearDown() override { warp_caps() = saved_; }
  WarpCaps saved_;
};

SolverOptions adaptive(Method m, double tol) {
  SolverOptions o;
  o.method = m;
  o.rtol = o.atol = tol;
  return o;
}

TEST_P(LaunchGeometry, DensitySolveMatchesTheCpuBackend) {
  const Geometry g = GetParam();
  const Model model = Model::initialize({g.dim, g.width, g.hidden}, 41);
  const std::vector<double> x = random_values(g.n * g.dim, -2.0, 2.0, 6);
  const LogProbResult e =
      Flow(model, Device::cpu, Precision::float64).log_prob(x, adaptive(Method::dopri5, 1e-8));
  const LogProbResult r =
      Flow(model, Device::cuda, Precision::float64).log_prob(x, adaptive(Method::dopri5, 1e-8));
  EXPECT_TRUE(all_close(r.log_prob, e.log_prob, 1e-9, 1e-9));
  EXPECT_TRUE(all_close(r.z0, e.z0, 1e-9, 1e-9));
  EXPECT_EQ(r.stats.accepted, e.stats.accepted);
  EXPECT_EQ(r.stats.rejected, e.stats.rejected);
}

TEST_P(LaunchGeometry, ContinuousAdjointMatchesTheCpuBackend) {
  const Geometry g = GetParam();
  const Model model = Model::initialize({g.dim, g.width, g.hidden}, 43);
  const std::vector<double> x = random_values(g.n * g.dim, -2.0, 2.0, 7);
  for (bool seminorm : {false, true}) {
    SCOPED_TRACE(seminorm ? "seminorm" : "full norm");
    GradientOptions go;
    go.seminorm = seminorm;
    const GradientResult e = Flow(model, Device::cpu, Precision::float64)
                                 .gradient(x, adaptive(Method::fehlberg2, 1e-7), go);
    const GradientResult r = Flow(model, Device::cuda, Precision::float64)
                                 .gradient(x, adaptive(Method::fehlberg2, 1e-7), go);
    EXPECT_NEAR(r.loss, e.loss, 1e-9 * std::fabs(e.loss));
    EXPECT_LT(relative_error(r.grad, e.grad), 1e-7);
    EXPECT_EQ(r.backward.accepted, e.backward.accepted);
  }
}

TEST_P(LaunchGeometry, DiscreteAdjointMatchesTheCpuBackend) {
  const Geometry g = GetParam();
  const Model model = Model::initialize({g.dim, g.width, g.hidden}, 47);
  const std::vector<double> x = random_values(g.n * g.dim, -2.0, 2.0, 8);
  GradientOptions go;
  go.adjoint = Adjoint::discrete;
  const GradientResult e =
      Flow(model, Device::cpu, Precision::float64).gradient(x, adaptive(Method::dopri5, 1e-7), go);
  const GradientResult r =
      Flow(model, Device::cuda, Precision::float64).gradient(x, adaptive(Method::dopri5, 1e-7), go);
  EXPECT_NEAR(r.loss, e.loss, 1e-10 * std::fabs(e.loss));
  EXPECT_LT(relative_error(r.grad, e.grad), 1e-8);
  EXPECT_EQ(r.forward.accepted, e.forward.accepted);
}

INSTANTIATE_TEST_SUITE_P(FewerWarpsThanSamples, LaunchGeometry,
                         ::testing::Values(Geometry{1, 2, 64, 32, 19}, Geometry{3, 2, 64, 32, 35},
                                           Geometry{7, 3, 7, 5, 33}, Geometry{7, 2, 40, 8, 50}),
                         [](const auto& info) { return name(info.param); });

}  // namespace
}  // namespace cucnf::detail
