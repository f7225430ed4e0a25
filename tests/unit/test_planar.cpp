// The field's exact trace and both vector-Jacobian products against central differences.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "compare.hpp"
#include "cpu/hypernet.hpp"
#include "cpu/planar.hpp"
#include "cucnf/model.hpp"

using namespace cucnf::detail;

namespace {

struct Case {
  int dim, width, hidden;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "D" << c.dim << "K" << c.width << "H" << c.hidden;
}

class PlanarDerivatives : public ::testing::TestWithParam<Case> {};

// Scalar objective sum_n u_z . f(z_n) + u_l (-tr) at time t, for finite differences.
double objective(const ParamLayout& l, const std::vector<double>& theta, double t,
                 const std::vector<double>& z, const std::vector<double>& u_z,
                 const std::vector<double>& u_l) {
  const std::size_t n = u_l.size();
  HyperState hs;
  hyper_forward(l, theta.data(), t, hs);
  std::vector<double> f(n * l.dim), dl(n);
  planar_field(l, hs, n, z.data(), f.data(), dl.data());
  double s = 0;
  for (std::size_t i = 0; i < f.size(); ++i) s += u_z[i] * f[i];
  for (std::size_t i = 0; i < n; ++i) s += u_l[i] * dl[i];
  return s;
}

}  // namespace

TEST_P(PlanarDerivatives, TraceMatchesFiniteDifferenceJacobian) {
  const Case c = GetParam();
  const cucnf::ModelShape shape{c.dim, c.width, c.hidden};
  const cucnf::Model model = cucnf::Model::initialize(shape, 11);
  const ParamLayout l = make_param_layout(shape);
  HyperState hs;
  hyper_forward(l, model.params().data(), 0.37, hs);
  const std::vector<double> z = random_values(c.dim, -1.5, 1.5, 3);
  std::vector<double> f(c.dim), dl(1), fp(c.dim), fm(c.dim), tmp(1);
  planar_field(l, hs, 1, z.data(), f.data(), dl.data());
  double fd_trace = 0;
  const double eps = 1e-6;
  for (int j = 0; j < c.dim; ++j) {
    std::vector<double> zp = z, zm = z;
    zp[j] += eps;
    zm[j] -= eps;
    planar_field(l, hs, 1, zp.data(), fp.data(), tmp.data());
    planar_field(l, hs, 1, zm.data(), fm.data(), tmp.data());
    fd_trace += (fp[j] - fm[j]) / (2 * eps);
  }
  EXPECT_NEAR(-dl[0], fd_trace, 1e-8 * (1 + std::fabs(fd_trace)));
}

TEST_P(PlanarDerivatives, VjpMatchesFiniteDifferencesInStateAndParameters) {
  const Case c = GetParam();
  const cucnf::ModelShape shape{c.dim, c.width, c.hidden};
  const cucnf::Model model = cucnf::Model::initialize(shape, 5);
  const ParamLayout l = make_param_layout(shape);
  const std::vector<double>& theta = model.params();
  const double t = 1.3;
  const std::size_t n = 3;
  const std::vector<double> z = random_values(n * c.dim, -1.5, 1.5, 7);
  const std::vector<double> u_z = random_values(n * c.dim, -1, 1, 8);
  const std::vector<double> u_l = random_values(n, -1, 1, 9);

  HyperState hs;
  hyper_forward(l, theta.data(), t, hs);
  std::vector<double> vjp_z(n * c.dim), g_w(c.width * c.dim, 0.0), g_b(c.width, 0.0),
      g_u(c.width * c.dim, 0.0), grad(l.total, 0.0);
  std::vector<double> sum_ul_d;
  HyperBackwardScratch scratch;
  planar_vjp(l, hs, n, z.data(), u_z.data(), u_l.data(), vjp_z.data(), g_w.data(), g_b.data(),
             g_u.data(), sum_ul_d);
  hyper_backward(l, theta.data(), hs, g_w.data(), g_b.data(), g_u.data(), 1.0, grad.data(),
                 scratch);

  const double eps = 1e-6;
  std::vector<double> fd_z(n * c.dim);
  for (std::size_t i = 0; i < z.size(); ++i) {
    std::vector<double> zp = z, zm = z;
    zp[i] += eps;
    zm[i] -= eps;
    fd_z[i] =
        (objective(l, theta, t, zp, u_z, u_l) - objective(l, theta, t, zm, u_z, u_l)) / (2 * eps);
  }
  EXPECT_TRUE(all_close(vjp_z, fd_z, 1e-6, 1e-8));
  std::vector<double> fd_theta(l.total);
  for (int i = 0; i < l.total; ++i) {
    std::vector<double> tp = theta, tm = theta;
    tp[i] += eps;
    tm[i] -= eps;
    fd_theta[i] = (objective(l, tp, t, z, u_z, u_l) - objective(l, tm, t, z, u_z, u_l)) / (2 * eps);
  }
  EXPECT_TRUE(all_close(grad, fd_theta, 1e-6, 1e-8));
}

INSTANTIATE_TEST_SUITE_P(Shapes, PlanarDerivatives,
                         ::testing::Values(Case{1, 1, 1}, Case{2, 7, 3}, Case{3, 5, 4},
                                           Case{5, 33, 2}));
