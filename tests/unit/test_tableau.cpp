#include <gtest/gtest.h>

#include <cmath>

#include "core/tableau.hpp"

using cucnf::Method;
using cucnf::detail::Tableau;
using cucnf::detail::tableau;

namespace {

const Method kAll[] = {Method::euler,  Method::midpoint,   Method::rk4,
                       Method::rk4_38, Method::heun_euler, Method::fehlberg2,
                       Method::bosh3,  Method::dopri5,     Method::tsit5};

}  // namespace

// Consistency conditions every tableau must meet: sum_j a_ij = c_i, sum_j b_j = 1, error
// weights sum to 0 (two consistent solutions), and the FSAL/b-row flags tell the truth.
TEST(Tableau, ConsistencyConditions) {
  for (Method m : kAll) {
    SCOPED_TRACE(cucnf::method_name(m));
    const Tableau& t = tableau(m);
    ASSERT_GE(t.stages, 1);
    ASSERT_LE(t.stages, cucnf::detail::kMaxStages);
    double bsum = 0, esum = 0;
    for (int j = 0; j < t.stages; ++j) {
      bsum += t.b[j];
      esum += t.e[j];
      double row = 0;
      for (int k = 0; k < j; ++k) row += t.a[j][k];
      EXPECT_NEAR(row, t.c[j], 1e-14) << "row " << j;
      for (int k = j; k < cucnf::detail::kMaxStages; ++k) EXPECT_EQ(t.a[j][k], 0.0);
    }
    EXPECT_NEAR(bsum, 1.0, 1e-14);
    EXPECT_NEAR(esum, 0.0, 1e-14);
    EXPECT_EQ(t.c[0], 0.0);
    if (t.adaptive) {
      EXPECT_TRUE(t.fsal) << "torchdiffeq reuses the last stage for every adaptive method";
      EXPECT_EQ(t.c[t.stages - 1], 1.0);
      double emax = 0;
      for (int j = 0; j < t.stages; ++j) emax = std::fmax(emax, std::fabs(t.e[j]));
      EXPECT_GT(emax, 0.0);
    }
    if (t.b_is_last_stage)
      for (int j = 0; j < t.stages; ++j) EXPECT_DOUBLE_EQ(t.b[j], t.a[t.stages - 1][j]);
    EXPECT_EQ(t.order, cucnf::method_order(m));
  }
}

// Order conditions up to order 4 for the propagated solution (sum b c^{q-1} = 1/q, ...).
TEST(Tableau, OrderConditions) {
  for (Method m : kAll) {
    SCOPED_TRACE(cucnf::method_name(m));
    const Tableau& t = tableau(m);
    auto sum_b = [&](auto f) {
      double s = 0;
      for (int i = 0; i < t.stages; ++i) s += t.b[i] * f(i);
      return s;
    };
    auto ac = [&](int i) {
      double s = 0;
      for (int j = 0; j < i; ++j) s += t.a[i][j] * t.c[j];
      return s;
    };
    if (t.order >= 2) EXPECT_NEAR(sum_b([&](int i) { return t.c[i]; }), 0.5, 1e-13);
    if (t.order >= 3) {
      EXPECT_NEAR(sum_b([&](int i) { return t.c[i] * t.c[i]; }), 1.0 / 3, 1e-13);
      EXPECT_NEAR(sum_b(ac), 1.0 / 6, 1e-13);
    }
    if (t.order >= 4) {
      EXPECT_NEAR(sum_b([&](int i) { return t.c[i] * t.c[i] * t.c[i]; }), 0.25, 1e-13);
      EXPECT_NEAR(sum_b([&](int i) { return t.c[i] * ac(i); }), 1.0 / 8, 1e-13);
      EXPECT_NEAR(sum_b([&](int i) {
                    double s = 0;
                    for (int j = 0; j < i; ++j) s += t.a[i][j] * t.c[j] * t.c[j];
                    return s;
                  }),
                  1.0 / 12, 1e-13);
      EXPECT_NEAR(sum_b([&](int i) {
                    double s = 0;
                    for (int j = 0; j < i; ++j) s += t.a[i][j] * ac(j);
                    return s;
                  }),
                  1.0 / 24, 1e-13);
    }
  }
}
