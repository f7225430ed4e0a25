// The fused stage kernel against the CPU field (host/cpu/planar.cpp) at several warp counts,
// as llm.c checks each kernel against its CPU reference: the hypernetwork at t, then
//   initial mode: F = [f, -tr] per sample and the batch sums of (y/sc)^2 and (F/sc)^2;
//   vjp mode:     F, the VJP -(1/K) sum_k m_k w_k and the per-warp parameter partials, summed
//                 over warps, against planar_vjp's batch-summed cotangents.
// Fewer warps than samples make each warp loop over several. Skips without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "compare.hpp"
#include "core/control_params.hpp"
#include "core/tableau.hpp"
#include "cpu/hypernet.hpp"
#include "cpu/planar.hpp"
#include "cucnf/cucnf.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/launch_shape.hpp"
#include "rk_kernels.hpp"

namespace cucnf::detail {
namespace {

struct StageCase {
  int warps;
  int dim, width, hidden;
  int n;
};

std::string name(const StageCase& c) {
  return "W" + std::to_string(c.warps) + "D" + std::to_string(c.dim) + "K" +
         std::to_string(c.width) + "N" + std::to_string(c.n);
}

void PrintTo(const StageCase& c, std::ostream* os) {
  *os << name(c);
}

template <class T>
std::vector<T> download(const T* device, std::size_t n) {
  std::vector<T> host(n);
  CUCNF_CUDA_CHECK(cudaMemcpy(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}

template <class T>
void upload(T* device, const std::vector<T>& host) {
  CUCNF_CUDA_CHECK(
      cudaMemcpy(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
}

// The device side of one evaluation: buffers for n samples of `elems` values each.
struct DeviceEval {
  DeviceBuffer<StepControl> ctl{1, nullptr};  // the legacy stream: the copies here block
  DeviceBuffer<double> y, k, err, params, cache, theta, partials;
  SolveBuffers<double> b;
  SolveDims d;

  DeviceEval(const ParamLayout& l, const std::vector<double>& model, const StageCase& c,
             bool adjoint, double t) {
    d = make_dims(c.n, l, adjoint, false, sizeof(double));
    d.warps = std::min(c.warps, c.n);
    const std::size_t state = std::size_t(c.n) * d.elems;
    y.reserve(state, nullptr);
    k.reserve(state * 2, nullptr);
    err.reserve(std::size_t(d.warps) * 4, nullptr);
    params.reserve(2 * std::size_t(stage_params_stride(l)), nullptr);
    cache.reserve(2 * std::size_t(hyper_cache_stride(l)), nullptr);
    theta.reserve(model.size(), nullptr);
    partials.reserve(std::size_t(d.warps) * param_partials_stride(l), nullptr);
    upload(theta.data(), model);
    StepControl sc;
    sc.t = t;
    sc.t_end = t + 1.0;
    sc.h = 0.5;
    upload(ctl.data(), std::vector<StepControl>{sc});
    b.ctl = ctl.data();
    b.y[0] = b.y[1] = y.data();
    b.k = k.data();
    b.err_partials = err.data();
    b.stage_params = params.data();
    b.hyper_cache = cache.data();
    b.theta_model = theta.data();
    b.param_partials = partials.data();
  }
};

class StageKernel : public ::testing::TestWithParam<StageCase> {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

constexpr double kT = 3.7;

TEST_P(StageKernel, InitialModeGivesTheFieldTraceAndNormSums) {
  const StageCase c = GetParam();
  const Model model = Model::initialize({c.dim, c.width, c.hidden}, 51);
  const ParamLayout l = make_param_layout(model.shape());
  const int D = c.dim, E = D + 1;
  const std::vector<double> z = random_values(std::size_t(c.n) * D, -2.0, 2.0, 9);
  HyperState hs;
  hyper_forward(l, model.params().data(), kT, hs);
  std::vector<double> dz(z.size()), dl(c.n);
  planar_field(l, hs, c.n, z.data(), dz.data(), dl.data());

  DeviceEval ev(l, model.params(), c, false, kT);
  std::vector<double> y(std::size_t(c.n) * E, 0.25);  // l = 0.25: a non-zero log-density
  for (int i = 0; i < c.n; ++i)
    for (int j = 0; j < D; ++j) y[i * E + j] = z[i * D + j];
  upload(ev.y.data(), y);
  const Tableau& tab = tableau(Method::dopri5);
  SolverOptions o;
  o.rtol = 1e-3;
  o.atol = 1e-4;
  const ControlParams p = control_params(o);
  launch_hyper_forward(ev.b, l, tab, StageMode::initial, nullptr);
  launch_stage(ev.b, ev.d, l, tab, p, StageMode::initial, 0, nullptr);
  const std::vector<double> k = download(ev.k.data(), y.size());
  const std::vector<double> err = download(ev.err.data(), std::size_t(ev.d.warps) * 4);

  double q[4] = {0, 0, 0, 0};
  for (int i = 0; i < c.n; ++i) {
    for (int j = 0; j < D; ++j) EXPECT_NEAR(k[i * E + j], dz[i * D + j], 1e-12) << i << "," << j;
    EXPECT_NEAR(k[i * E + D], dl[i], 1e-12) << i;
    for (int e = 0; e < E; ++e) {
      const double f = e < D ? dz[i * D + e] : dl[i];
      const double sc = o.atol + o.rtol * std::fabs(y[i * E + e]);
      q[e < D ? 0 : 1] += (y[i * E + e] / sc) * (y[i * E + e] / sc);
      q[e < D ? 2 : 3] += (f / sc) * (f / sc);
    }
  }
  for (int part = 0; part < 4; ++part) {
    double sum = 0.0;
    for (int w = 0; w < ev.d.warps; ++w) sum += err[w * 4 + part];
    EXPECT_NEAR(sum, q[part], 1e-10 * q[part]) << "norm sum " << part;
  }
}

TEST_P(StageKernel, VjpModeGivesTheCotangentsAndParameterPartials) {
  const StageCase c = GetParam();
  const Model model = Model::initialize({c.dim, c.width, c.hidden}, 53);
  const ParamLayout l = make_param_layout(model.shape());
  const int D = c.dim, K = c.width, KD = K * D, E = 2 * D + 2;
  const std::vector<double> z = random_values(std::size_t(c.n) * D, -2.0, 2.0, 10);
  const std::vector<double> u_z = random_values(std::size_t(c.n) * D, -1.0, 1.0, 11);
  const std::vector<double> u_l = random_values(std::size_t(c.n), -1.0, 1.0, 12);
  HyperState hs;
  hyper_forward(l, model.params().data(), kT, hs);
  std::vector<double> dz(z.size()), dl(c.n), vjp(z.size()), g_w(KD, 0.0), g_b(K, 0.0), g_u(KD, 0.0),
      scratch;
  planar_field(l, hs, c.n, z.data(), dz.data(), dl.data());
  planar_vjp(l, hs, c.n, z.data(), u_z.data(), u_l.data(), vjp.data(), g_w.data(), g_b.data(),
             g_u.data(), scratch);

  DeviceEval ev(l, model.params(), c, true, kT);
  std::vector<double> y(std::size_t(c.n) * E);
  for (int i = 0; i < c.n; ++i) {
    for (int j = 0; j < D; ++j) {
      y[i * E + j] = z[i * D + j];
      y[i * E + D + 1 + j] = u_z[i * D + j];
    }
    y[i * E + D] = 0.5;
    y[i * E + 2 * D + 1] = u_l[i];
  }
  upload(ev.y.data(), y);
  const Tableau& tab = tableau(Method::dopri5);
  const ControlParams p = control_params(SolverOptions{});
  launch_hyper_forward(ev.b, l, tab, StageMode::initial, nullptr);  // parameters at t, set 0
  launch_stage(ev.b, ev.d, l, tab, p, StageMode::vjp, 0, nullptr);
  const std::vector<double> k = download(ev.k.data(), y.size());
  const int slice = param_partials_stride(l);
  const std::vector<double> part = download(ev.partials.data(), std::size_t(ev.d.warps) * slice);

  for (int i = 0; i < c.n; ++i) {
    for (int j = 0; j < D; ++j) {
      EXPECT_NEAR(k[i * E + j], dz[i * D + j], 1e-12);
      EXPECT_NEAR(k[i * E + D + 1 + j], -vjp[i * D + j], 1e-12) << "vjp " << i << "," << j;
    }
    EXPECT_NEAR(k[i * E + D], dl[i], 1e-12);
    EXPECT_EQ(k[i * E + 2 * D + 1], 0.0);
  }
  // Partials [g_w | g_b | r | g_u] summed over warps, in planar_vjp's form:
  //   g_w = (sum m z - r u~)/K, g_b = sum m / K, g_u~ = (sum h a_z - r w)/K.
  std::vector<double> sum(slice, 0.0);
  for (int w = 0; w < ev.d.warps; ++w)
    for (int s = 0; s < slice; ++s) sum[s] += part[std::size_t(w) * slice + s];
  std::vector<double> dev_w(KD), dev_b(K), dev_u(KD);
  for (int kk = 0; kk < K; ++kk) {
    const double r = sum[KD + K + kk];
    dev_b[kk] = sum[KD + kk] / K;
    for (int j = 0; j < D; ++j) {
      dev_w[kk * D + j] = (sum[kk * D + j] - r * hs.u_tilde[kk * D + j]) / K;
      dev_u[kk * D + j] = (sum[KD + 2 * K + kk * D + j] - r * hs.p[l.p_w + kk * D + j]) / K;
    }
  }
  EXPECT_LT(relative_error(dev_w, g_w), 1e-12);
  EXPECT_LT(relative_error(dev_b, g_b), 1e-12);
  EXPECT_LT(relative_error(dev_u, g_u), 1e-12);
}

INSTANTIATE_TEST_SUITE_P(WarpCounts, StageKernel,
                         ::testing::Values(StageCase{1, 2, 40, 8, 37}, StageCase{3, 2, 40, 8, 37},
                                           StageCase{37, 2, 40, 8, 37}, StageCase{5, 5, 33, 6, 23},
                                           StageCase{2, 33, 7, 4, 9}),
                         [](const auto& info) { return name(info.param); });

}  // namespace
}  // namespace cucnf::detail
