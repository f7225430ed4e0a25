// Gradients of L = -mean log p(x) on the CPU backend: against the PyTorch reference (design §5)
// and against finite differences of the loss.
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

cucnf::GradientOptions adjoint(cucnf::Adjoint a, bool seminorm = false) {
  cucnf::GradientOptions g;
  g.adjoint = a;
  g.seminorm = seminorm;
  return g;
}

// Relative error of each parameter tensor: max |a - e| / max |e| over the tensor.
void expect_per_tensor(const std::vector<double>& grad, const std::vector<double>& expected,
                       const cucnf::ModelShape& shape, double limit) {
  ASSERT_EQ(grad.size(), expected.size());
  for (const cucnf::ParameterTensor& t : cucnf::parameter_tensors(shape)) {
    const std::vector<double> a(grad.begin() + t.offset, grad.begin() + t.offset + t.size());
    const std::vector<double> e(expected.begin() + t.offset,
                                expected.begin() + t.offset + t.size());
    EXPECT_LT(relative_error(a, e), limit) << t.name;
  }
}

}  // namespace

TEST(Gradient, DiscreteAdjointMatchesTheReferenceAtTightTolerance) {
  const Reference& ref = reference();
  cucnf::Flow flow(cucnf::Model::load(ref.path), cucnf::Device::cpu, cucnf::Precision::float64);
  const cucnf::GradientResult g =
      flow.gradient(ref.x, tol(1e-10), adjoint(cucnf::Adjoint::discrete));
  EXPECT_NEAR(g.loss, ref.loss, 1e-8 * std::fabs(ref.loss));
  expect_per_tensor(g.grad, ref.grad, flow.model().shape(), 1e-6);
  EXPECT_EQ(g.backward.accepted, g.forward.accepted);
}

TEST(Gradient, ContinuousAdjointMatchesTheReferenceAtTightTolerance) {
  const Reference& ref = reference();
  cucnf::Flow flow(cucnf::Model::load(ref.path), cucnf::Device::cpu, cucnf::Precision::float64);
  const cucnf::GradientResult g =
      flow.gradient(ref.x, tol(1e-10), adjoint(cucnf::Adjoint::continuous));
  EXPECT_NEAR(g.loss, ref.loss, 1e-8 * std::fabs(ref.loss));
  expect_per_tensor(g.grad, ref.grad, flow.model().shape(), 1e-5);
  EXPECT_GT(g.backward.accepted, 10);
}

// The seminorm leaves a_theta out of the backward error norm: fewer (or as many) backward
// steps, the same gradient to within the tolerance.
TEST(Gradient, SeminormTakesFewerBackwardSteps) {
  const Reference& ref = reference();
  cucnf::Flow flow(cucnf::Model::load(ref.path), cucnf::Device::cpu, cucnf::Precision::float64);
  const cucnf::GradientResult full =
      flow.gradient(ref.x, tol(1e-6), adjoint(cucnf::Adjoint::continuous));
  const cucnf::GradientResult semi =
      flow.gradient(ref.x, tol(1e-6), adjoint(cucnf::Adjoint::continuous, true));
  EXPECT_LT(semi.backward.nfe, full.backward.nfe);
  EXPECT_LT(relative_error(semi.grad, ref.grad), 1e-3);
  EXPECT_LT(relative_error(full.grad, ref.grad), 1e-3);
}

// dL/dtheta against central differences of the loss, on a small model with a fixed-step
// method (so the loss is a smooth function of theta) for both adjoints.
TEST(Gradient, FiniteDifferencesOnASmallModel) {
  const cucnf::Model model = cucnf::Model::initialize({3, 5, 4}, 8, 0.0, 2.0, 0.5);
  cucnf::Flow flow(model, cucnf::Device::cpu, cucnf::Precision::float64);
  const std::vector<double> x = random_values(6 * 3, -1.5, 1.5, 21);
  cucnf::SolverOptions rk4;
  rk4.method = cucnf::Method::rk4;
  rk4.step_size = 0.05;
  const cucnf::GradientResult discrete = flow.gradient(x, rk4, adjoint(cucnf::Adjoint::discrete));
  cucnf::GradientOptions cont = adjoint(cucnf::Adjoint::continuous);
  const cucnf::GradientResult continuous = flow.gradient(x, tol(1e-11), cont);

  std::vector<double> fd(model.params().size());
  const double eps = 1e-5;
  for (std::size_t i = 0; i < fd.size(); ++i) {
    std::vector<double> p = model.params();
    p[i] += eps;
    flow.set_params(p);
    const double up = flow.gradient(x, rk4, adjoint(cucnf::Adjoint::discrete)).loss;
    p[i] -= 2 * eps;
    flow.set_params(p);
    const double down = flow.gradient(x, rk4, adjoint(cucnf::Adjoint::discrete)).loss;
    fd[i] = (up - down) / (2 * eps);
  }
  EXPECT_TRUE(all_close(discrete.grad, fd, 1e-6, 1e-8));
  EXPECT_TRUE(all_close(continuous.grad, fd, 1e-5, 1e-7));
}
