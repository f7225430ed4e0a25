// Observed order of every method on an ODE with a known solution, through the same step driver
// and CPU engine the library uses.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/integrate.hpp"
#include "core/tableau.hpp"
#include "cpu/cpu_rk.hpp"

using namespace cucnf::detail;
using cucnf::Method;

namespace {

// y1' = -a y1 + sin t,  y2' = cos(t) y2: non-autonomous, so stage times are exercised.
class TestSystem final : public CpuSystem {
 public:
  std::size_t size() const override { return 2; }
  void eval(double t, const double* y, double* dy) override {
    dy[0] = -kA * y[0] + std::sin(t);
    dy[1] = std::cos(t) * y[1];
  }
  const std::vector<NormPart>& norm_parts() const override { return parts_; }

  static std::vector<double> exact(double t0, const std::vector<double>& y0, double t) {
    auto p = [](double s) { return (kA * std::sin(s) - std::cos(s)) / (kA * kA + 1); };
    return {(y0[0] - p(t0)) * std::exp(-kA * (t - t0)) + p(t),
            y0[1] * std::exp(std::sin(t) - std::sin(t0))};
  }
  static constexpr double kA = 0.7;

 private:
  std::vector<NormPart> parts_{{0, 1}, {1, 2}};
};

struct SolveRun {
  std::vector<double> y;
  cucnf::SolveStats stats;
};

SolveRun solve(Method m, double t0, double t1, double step, bool force_fixed, double tol = 1e-6) {
  TestSystem sys;
  const Tableau& tab = tableau(m);
  ControlParams p = make_control_params(tab, tol, tol, 0.9, 10.0, 0.2, 0.0, 1000000);
  if (force_fixed) p.adaptive = false;
  CpuRk rk(sys, tab, p);
  rk.initial_state()[0] = 1.0;
  rk.initial_state()[1] = 0.5;
  SolveRun r;
  r.stats = integrate(rk, p, {t0, t1}, step, "test solve");
  r.y.assign(rk.state(), rk.state() + 2);
  return r;
}

double error_at(Method m, double step, double t0, double t1) {
  const SolveRun r = solve(m, t0, t1, step, true);
  const std::vector<double> e = TestSystem::exact(t0, {1.0, 0.5}, t1);
  return std::hypot(r.y[0] - e[0], r.y[1] - e[1]);
}

}  // namespace

class ConvergenceOrder : public ::testing::TestWithParam<Method> {};

// Halving the step divides the error by 2^order (both directions of time).
TEST_P(ConvergenceOrder, MatchesTheMethodOrder) {
  const Method m = GetParam();
  const int order = cucnf::method_order(m);
  for (double dir : {1.0, -1.0}) {
    const double t0 = 0.3, t1 = 0.3 + dir * 2.0;
    const double h = order >= 4 ? 0.1 : 0.02;
    const double e1 = error_at(m, h, t0, t1), e2 = error_at(m, h / 2, t0, t1);
    const double observed = std::log2(e1 / e2);
    // Pre-asymptotic steps may show a little superconvergence, never order reduction.
    EXPECT_GT(observed, order - 0.3) << " dir " << dir << " errors " << e1 << " " << e2;
    EXPECT_LT(observed, order + 0.7) << " dir " << dir << " errors " << e1 << " " << e2;
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethods, ConvergenceOrder,
                         ::testing::Values(Method::euler, Method::midpoint, Method::rk4,
                                           Method::rk4_38, Method::heun_euler, Method::fehlberg2,
                                           Method::bosh3, Method::dopri5, Method::tsit5),
                         [](const auto& info) { return cucnf::method_name(info.param); });

class AdaptiveAccuracy : public ::testing::TestWithParam<Method> {};

// Tighter tolerances give smaller errors for more work, and the error tracks the tolerance.
TEST_P(AdaptiveAccuracy, ErrorFollowsTolerance) {
  const Method m = GetParam();
  const std::vector<double> e = TestSystem::exact(0.0, {1.0, 0.5}, 5.0);
  double last_error = INFINITY;
  long long last_nfe = 0;
  for (double tol : {1e-4, 1e-7, 1e-10}) {
    const SolveRun r = solve(m, 0.0, 5.0, 0.0, false, tol);
    const double err = std::hypot(r.y[0] - e[0], r.y[1] - e[1]);
    EXPECT_LT(err, 500 * tol) << "tol " << tol;
    EXPECT_LT(err, last_error);
    EXPECT_GT(r.stats.nfe, last_nfe);
    // k_0 and Hairer's probe, then S - 1 evaluations per attempt (FSAL).
    EXPECT_EQ(r.stats.nfe,
              2 + (r.stats.accepted + r.stats.rejected) * tableau(m).evals_per_attempt());
    last_error = err;
    last_nfe = r.stats.nfe;
  }
}

INSTANTIATE_TEST_SUITE_P(AdaptiveMethods, AdaptiveAccuracy,
                         ::testing::Values(Method::heun_euler, Method::fehlberg2, Method::bosh3,
                                           Method::dopri5, Method::tsit5),
                         [](const auto& info) { return cucnf::method_name(info.param); });

// The driver stops exactly on each output time and reports the state there.
TEST(Integrate, OutputsAtRequestedTimes) {
  TestSystem sys;
  const Tableau& tab = tableau(Method::dopri5);
  const ControlParams p = make_control_params(tab, 1e-10, 1e-10, 0.9, 10.0, 0.2, 0.0, 100000);
  CpuRk rk(sys, tab, p);
  rk.initial_state()[0] = 1.0;
  rk.initial_state()[1] = 0.5;
  const std::vector<double> times = {0.0, 0.7, 1.9, 4.0};
  std::vector<std::vector<double>> out(times.size());
  rk.on_output([&](std::size_t i, const double* y) { out[i].assign(y, y + 2); });
  integrate(rk, p, times, 0.0, "outputs");
  for (std::size_t i = 1; i < times.size(); ++i) {
    const std::vector<double> e = TestSystem::exact(0.0, {1.0, 0.5}, times[i]);
    EXPECT_NEAR(out[i][0], e[0], 1e-8);
    EXPECT_NEAR(out[i][1], e[1], 1e-8);
  }
}
