// The fused SIMD CPU path (cpu/fast) against the scalar float64 reference (CpuRk over
// CnfSystem / AdjointSystem): same steps and results to rounding in float64, results within
// stated tolerances in float32, and bit-identical results for any number of threads.
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "compare.hpp"
#include "core/control_params.hpp"
#include "core/integrate.hpp"
#include "cpu/cnf_systems.hpp"
#include "cpu/cpu_rk.hpp"
#include "cpu/fast/block_job.hpp"
#include "cpu/fast/block_pool.hpp"
#include "cpu/fast/fused_rk.hpp"
#include "cpu/fast/hyper_simd.hpp"
#include "cpu/hypernet.hpp"
#include "cucnf/model.hpp"

using namespace cucnf::detail;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Case {
  int dim, width, hidden;
  std::size_t n;
  cucnf::Method method;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "D" << c.dim << "K" << c.width << "H" << c.hidden << "N" << c.n << "_"
      << cucnf::method_name(c.method);
}

cucnf::SolverOptions options(cucnf::Method m) {
  cucnf::SolverOptions o;
  o.method = m;
  o.rtol = o.atol = 1e-6;
  if (!cucnf::is_adaptive(m)) o.step_size = 0.25;
  return o;
}

struct Result {
  std::vector<double> state;  // z (n x D, row-major), then l; adjoint: then a_theta
  cucnf::SolveStats stats;
};

void expect_same_stats(const cucnf::SolveStats& a, const cucnf::SolveStats& b) {
  EXPECT_EQ(a.nfe, b.nfe);
  EXPECT_EQ(a.accepted, b.accepted);
  EXPECT_EQ(a.rejected, b.rejected);
}

// A density solve t1 -> t0 (1.5 -> 0) on the reference engine.
Result reference_solve(const ParamLayout& l, const std::vector<double>& theta,
                       const std::vector<double>& z, const cucnf::SolverOptions& o) {
  const std::size_t n = z.size() / l.dim;
  CnfSystem system(l, theta.data(), n);
  const ControlParams p = control_params(o);
  CpuRk rk(system, tableau(o.method), p);
  std::copy(z.begin(), z.end(), rk.initial_state());
  std::fill(rk.initial_state() + z.size(), rk.initial_state() + system.size(), 0.0);
  Result r;
  r.stats = integrate(rk, p, {1.5, 0.0}, o.step_size, "reference");
  r.state.assign(rk.state(), rk.state() + system.size());
  return r;
}

template <class Real>
Result fused_solve(const ParamLayout& l, const std::vector<double>& theta,
                   const std::vector<double>& z, const cucnf::SolverOptions& o) {
  const std::size_t n = z.size() / l.dim;
  const ControlParams p = control_params(o);
  FusedCnfRk<Real> rk(l, theta.data(), n, false, false, tableau(o.method), p);
  for (int j = 0; j < l.dim; ++j)
    for (std::size_t i = 0; i < n; ++i) rk.row(j)[i] = Real(z[i * l.dim + j]);
  Result r;
  r.state.assign(n * (l.dim + 1), kNaN);  // poisoned: every value must be written
  r.stats = integrate(rk, p, {1.5, 0.0}, o.step_size, "fused");
  for (int j = 0; j <= l.dim; ++j)
    for (std::size_t i = 0; i < n; ++i)
      r.state[j < l.dim ? i * l.dim + j : n * l.dim + i] = double(rk.row(j)[i]);
  return r;
}

// The augmented adjoint system 0 -> 1.5 from [z, l, a_z, a_l, a_theta = 0], reference engine.
Result reference_adjoint(const ParamLayout& l, const std::vector<double>& theta,
                         const std::vector<double>& start, const cucnf::SolverOptions& o) {
  const std::size_t n = start.size() / (2 * l.dim + 2);
  AdjointSystem system(l, theta.data(), n, false);
  const ControlParams p = control_params(o);
  CpuRk rk(system, tableau(o.method), p);
  std::copy(start.begin(), start.end(), rk.initial_state());
  std::fill(rk.initial_state() + start.size(), rk.initial_state() + system.size(), 0.0);
  Result r;
  r.stats = integrate(rk, p, {0.0, 1.5}, o.step_size, "reference adjoint");
  r.state.assign(rk.state(), rk.state() + system.size());
  return r;
}

// Same on the fused engine; `start` and the result use the reference's layout.
template <class Real>
Result fused_adjoint(const ParamLayout& l, const std::vector<double>& theta,
                     const std::vector<double>& start, const cucnf::SolverOptions& o) {
  const int D = l.dim;
  const std::size_t n = start.size() / (2 * D + 2);
  const ControlParams p = control_params(o);
  FusedCnfRk<Real> rk(l, theta.data(), n, true, false, tableau(o.method), p);
  // Reference layout: z (n x D), l (n), a_z (n x D), a_l (n); fused rows: z_j, l, a_z_j, a_l.
  auto at = [&](int r, std::size_t i) {
    if (r < D) return i * D + r;
    if (r == D) return n * D + i;
    if (r < 2 * D + 1) return n * (D + 1) + i * D + (r - D - 1);
    return n * (2 * D + 1) + i;
  };
  for (int r = 0; r < 2 * D + 2; ++r)
    for (std::size_t i = 0; i < n; ++i) rk.row(r)[i] = Real(start[at(r, i)]);
  Result run;
  run.state.assign(start.size() + l.total, kNaN);
  run.stats = integrate(rk, p, {0.0, 1.5}, o.step_size, "fused adjoint");
  for (int r = 0; r < 2 * D + 2; ++r)
    for (std::size_t i = 0; i < n; ++i) run.state[at(r, i)] = double(rk.row(r)[i]);
  std::copy(rk.theta_cotangent(), rk.theta_cotangent() + l.total,
            run.state.begin() + std::ptrdiff_t(start.size()));
  return run;
}

struct Problem {
  ParamLayout layout;
  std::vector<double> theta, z, adjoint_start;
};

Problem problem(const Case& c) {
  const cucnf::ModelShape shape{c.dim, c.width, c.hidden};
  Problem p{make_param_layout(shape), cucnf::Model::initialize(shape, 5).params(), {}, {}};
  p.z = random_values(c.n * c.dim, -1.5, 1.5, 7);
  p.adjoint_start = random_values(c.n * (2 * c.dim + 2), -1.0, 1.0, 8);
  return p;
}

class FusedCpu : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(FusedCpu, Float64SolveTakesTheReferenceStepsAndMatchesToRounding) {
  const Case c = GetParam();
  const Problem p = problem(c);
  const cucnf::SolverOptions o = options(c.method);
  const Result ref = reference_solve(p.layout, p.theta, p.z, o);
  const Result fused = fused_solve<double>(p.layout, p.theta, p.z, o);
  expect_same_stats(fused.stats, ref.stats);
  EXPECT_TRUE(all_close(fused.state, ref.state, 1e-10, 1e-12));
}

TEST_P(FusedCpu, Float64AdjointTakesTheReferenceStepsAndMatchesToRounding) {
  const Case c = GetParam();
  const Problem p = problem(c);
  const cucnf::SolverOptions o = options(c.method);
  const Result ref = reference_adjoint(p.layout, p.theta, p.adjoint_start, o);
  const Result fused = fused_adjoint<double>(p.layout, p.theta, p.adjoint_start, o);
  expect_same_stats(fused.stats, ref.stats);
  EXPECT_TRUE(all_close(fused.state, ref.state, 1e-9, 1e-12));
}

// float32 against the float64 reference: the state to 1e-4 (relative to its size) and
// a_theta to 1e-3 of its largest value, at tolerances 1e-6 (float32's own rounding, 6e-8,
// accumulated over some hundred stage evaluations, and steps that may differ).
TEST_P(FusedCpu, Float32AgreesWithFloat64WithinStatedTolerance) {
  const Case c = GetParam();
  const Problem p = problem(c);
  const cucnf::SolverOptions o = options(c.method);
  const Result ref = reference_solve(p.layout, p.theta, p.z, o);
  const Result fused = fused_solve<float>(p.layout, p.theta, p.z, o);
  EXPECT_LE(relative_error(fused.state, ref.state), 1e-4);
  const Result ref_adj = reference_adjoint(p.layout, p.theta, p.adjoint_start, o);
  const Result adj = fused_adjoint<float>(p.layout, p.theta, p.adjoint_start, o);
  const std::size_t m = p.adjoint_start.size();
  const std::vector<double> ref_theta(ref_adj.state.begin() + std::ptrdiff_t(m),
                                      ref_adj.state.end());
  const std::vector<double> theta(adj.state.begin() + std::ptrdiff_t(m), adj.state.end());
  EXPECT_LE(relative_error(theta, ref_theta), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(AwkwardSizes, FusedCpu,
                         ::testing::Values(Case{1, 1, 1, 1, cucnf::Method::dopri5},
                                           Case{2, 64, 32, 33, cucnf::Method::fehlberg2},
                                           Case{2, 64, 32, 5003, cucnf::Method::dopri5},
                                           Case{3, 7, 5, 733, cucnf::Method::tsit5},
                                           Case{4, 5, 3, 19, cucnf::Method::rk4},
                                           Case{2, 9, 4, 77, cucnf::Method::heun_euler}));

// Block sizes: one block below 2 x kBlockSamples, the demo's batch of 300 in two (one per core
// of a 2-core machine), at most 64 blocks below 32768 samples, at most 512 samples a block,
// always whole vectors.
TEST(FusedCpuBlocks, SizesFollowTheBatch) {
  EXPECT_EQ(block_size(1), 16u);
  EXPECT_EQ(block_size(255), 256u);
  EXPECT_EQ(block_size(300), 160u);
  EXPECT_EQ(block_size(6007), 144u);  // 46 blocks of 128 -> 131 -> 144 (42 blocks)
  EXPECT_EQ(block_size(100000), 512u);
  for (std::size_t n : {1, 17, 300, 4095, 6007, 100000}) EXPECT_EQ(block_size(n) % 16, 0u) << n;
}

// Blocks are sized from n alone and summed in block order; stages and chunks of a_theta write
// disjoint outputs: 1, 2 and 3 threads give the same bits, for a solve and for the adjoint's
// parameter cotangent, at the demo's batch (2 blocks) and a larger one (42 blocks).
TEST(FusedCpuThreads, ResultsAreIdenticalForAnyThreadCount) {
  for (std::size_t n : {std::size_t(300), std::size_t(6007)}) {
    const Case c{2, 64, 32, n, cucnf::Method::dopri5};
    const Problem p = problem(c);
    const cucnf::SolverOptions o = options(c.method);
    std::vector<Result> solves, adjoints;
    for (int threads : {1, 2, 3}) {
      set_cpu_threads(threads);
      solves.push_back(fused_solve<float>(p.layout, p.theta, p.z, o));
      adjoints.push_back(fused_adjoint<float>(p.layout, p.theta, p.adjoint_start, o));
    }
    set_cpu_threads(0);
    for (std::size_t t = 1; t < solves.size(); ++t) {
      EXPECT_EQ(solves[t].state, solves[0].state) << t + 1 << " threads, n " << n;
      EXPECT_EQ(adjoints[t].state, adjoints[0].state) << t + 1 << " threads, n " << n;
      expect_same_stats(adjoints[t].stats, adjoints[0].stats);
    }
  }
}

// The SIMD hypernetwork forward against the reference, with gates far outside exp's range
// (sigmoid 0 or 1) and NaN (it stays NaN), besides ordinary ones.
TEST(FusedCpuHypernetwork, SimdForwardMatchesTheReferenceForExtremeGates) {
  const cucnf::ModelShape shape{2, 64, 32};
  const ParamLayout l = make_param_layout(shape);
  std::vector<double> theta = cucnf::Model::initialize(shape, 3).params();
  const double gates[] = {2000.0, -2000.0, 800.0, -800.0, 1e300, -1e300, kNaN, -0.3, 0.7};
  for (std::size_t i = 0; i < std::size(gates); ++i) theta[l.fc3_b + l.p_g + 5 * i] = gates[i];
  HyperTransposed wt;
  wt.build(l, theta.data());
  HyperState simd, ref;
  hyper_forward_simd(l, theta.data(), wt, 0.37, simd);
  hyper_forward(l, theta.data(), 0.37, ref);
  auto same = [](double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= 1e-13 * (1 + std::fabs(b));
  };
  for (std::size_t i = 0; i < ref.sig_g.size(); ++i) {
    EXPECT_TRUE(same(simd.sig_g[i], ref.sig_g[i]))
        << i << ": " << simd.sig_g[i] << " vs " << ref.sig_g[i];
    EXPECT_TRUE(same(simd.u_tilde[i], ref.u_tilde[i])) << i;
  }
  for (std::size_t o = 0; o < ref.p.size(); ++o) EXPECT_TRUE(same(simd.p[o], ref.p[o])) << o;
  for (std::size_t k = 0; k < ref.s.size(); ++k) EXPECT_TRUE(same(simd.s[k], ref.s[k])) << k;
}

// A block that throws: every block still runs, the caller gets the (first) exception once all
// are done, and the pool takes the next job as usual; for 1, 2 and 3 threads.
TEST(FusedCpuPool, AThrowingBlockReachesTheCallerAfterEveryBlockRan) {
  for (int threads : {1, 2, 3}) {
    set_cpu_threads(threads);
    std::vector<std::atomic<int>> ran(16);
    auto job = [&](std::size_t b) {
      ran[b].fetch_add(1);
      if (b == 3 || b == 9) throw std::runtime_error("block " + std::to_string(b));
    };
    EXPECT_THROW(parallel_blocks(ran.size(), job), std::runtime_error) << threads << " threads";
    for (std::size_t b = 0; b < ran.size(); ++b) EXPECT_EQ(ran[b].load(), 1) << b;
    std::atomic<int> after{0};
    parallel_blocks(5, [&](std::size_t) { after.fetch_add(1); });
    EXPECT_EQ(after.load(), 5) << threads << " threads";
  }
  set_cpu_threads(0);
}

// Every SIMD target the kernel is built for and this CPU runs (AVX-512, AVX2 and the portable
// SCALAR), forced one at a time: each takes the reference's steps and matches it to rounding in
// float64, and agrees with it within FusedCpu's float32 tolerances in float32 (where AVX-512 and
// AVX2 take Eigen's tanh, SCALAR Highway's).
TEST(FusedCpuTargets, EveryTargetMatchesTheReference) {
  const Case c{2, 64, 32, 45, cucnf::Method::dopri5};
  const Problem p = problem(c);
  const cucnf::SolverOptions o = options(c.method);
  const Result ref = reference_solve(p.layout, p.theta, p.z, o);
  const Result ref_adj = reference_adjoint(p.layout, p.theta, p.adjoint_start, o);
  const std::int64_t supported = hwy::SupportedTargets();
  int tried = 0;
  for (std::int64_t target :
       {std::int64_t(HWY_AVX3), std::int64_t(HWY_AVX2), std::int64_t(HWY_SCALAR)}) {
    if (!(supported & target)) continue;
    hwy::SetSupportedTargetsForTest(target);
    EXPECT_STREQ(simd_target_name(), hwy::TargetName(target));
    const Result fused = fused_solve<double>(p.layout, p.theta, p.z, o);
    expect_same_stats(fused.stats, ref.stats);
    EXPECT_TRUE(all_close(fused.state, ref.state, 1e-10, 1e-12)) << hwy::TargetName(target);
    const Result adj = fused_adjoint<double>(p.layout, p.theta, p.adjoint_start, o);
    EXPECT_TRUE(all_close(adj.state, ref_adj.state, 1e-9, 1e-12)) << hwy::TargetName(target);
    const Result fused32 = fused_solve<float>(p.layout, p.theta, p.z, o);
    EXPECT_LE(relative_error(fused32.state, ref.state), 1e-4) << hwy::TargetName(target);
    const Result adj32 = fused_adjoint<float>(p.layout, p.theta, p.adjoint_start, o);
    const std::size_t m = p.adjoint_start.size();
    EXPECT_LE(
        relative_error(
            std::vector<double>(adj32.state.begin() + std::ptrdiff_t(m), adj32.state.end()),
            std::vector<double>(ref_adj.state.begin() + std::ptrdiff_t(m), ref_adj.state.end())),
        1e-3)
        << hwy::TargetName(target);
    ++tried;
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GE(tried, 1);
}
