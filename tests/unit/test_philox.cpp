#include <gtest/gtest.h>

#include <cmath>

#include "core/base_density.hpp"
#include "core/philox.hpp"
#include "cucnf/model.hpp"

using cucnf::detail::Philox4;
using cucnf::detail::philox4x32_10;

// Random123's published known-answer vectors for Philox4x32-10.
TEST(Philox, KnownAnswers) {
  struct Case {
    Philox4 ctr;
    std::uint32_t k0, k1;
    Philox4 expected;
  };
  const Case cases[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}}},
      {{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}},
       0xffffffffu,
       0xffffffffu,
       {{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}}},
      {{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
       0xa4093822u,
       0x299f31d0u,
       {{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}}},
  };
  for (const Case& c : cases) {
    const Philox4 out = philox4x32_10(c.ctr, c.k0, c.k1);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(out.v[i], c.expected.v[i]) << "word " << i;
  }
}

TEST(Philox, NormalsHaveUnitMomentsAndDifferBySeedAndStream) {
  double sum = 0, sq = 0;
  const int n = 200000;
  for (int i = 0; i < n / 2; ++i) {
    double a, b;
    cucnf::detail::normal2(7, 3, i, a, b);
    sum += a + b;
    sq += a * a + b * b;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sq / n, 1.0, 0.01);
  double a0, b0, a1, b1, a2, b2;
  cucnf::detail::normal2(7, 3, 5, a0, b0);
  cucnf::detail::normal2(8, 3, 5, a1, b1);
  cucnf::detail::normal2(7, 4, 5, a2, b2);
  EXPECT_NE(a0, a1);
  EXPECT_NE(a0, a2);
}

TEST(Philox, UniformsStayInUnitInterval) {
  for (std::uint64_t i = 0; i < 10000; ++i) {
    double u0, u1;
    cucnf::detail::uniform2(1, 0, i, u0, u1);
    ASSERT_GE(u0, 0.0);
    ASSERT_LT(u0, 1.0);
    ASSERT_GE(u1, 0.0);
    ASSERT_LT(u1, 1.0);
  }
}

// BaseDraw, which the device-array sample draws with on the GPU, gives Flow::sample's base draws
// (base_samples) bit for bit, for even and odd dimensions (an odd one leaves half a pair).
TEST(Philox, BaseDrawIsFlowSamplesBaseDraws) {
  for (int dim : {1, 2, 3, 5}) {
    SCOPED_TRACE(dim);
    const cucnf::Model model = cucnf::Model::initialize({dim, 4, 3}, 1, 0.0, 1.0, 0.3);
    const std::vector<double> z = cucnf::base_samples(model, 9, 77);
    for (std::size_t i = 0; i < 9; ++i) {
      const cucnf::detail::BaseDraw draw{77, i, dim, std::sqrt(0.3)};
      for (int j = 0; j < dim; ++j) EXPECT_EQ(draw[j], z[i * dim + j]) << i << ", " << j;
    }
  }
}
