// The hypernetwork on the CPU with SIMD dot products and updates (float64): the same maths as
// cpu/hypernet.cpp (the reference), which a scalar compiler cannot vectorise because its dot
// products are serial sums. One call per stage, so this is the fast path's serial part.
//
//   forward:  x1 = tanh(fc1 t), x2 = tanh(fc2 x1), p = fc3 x2, u~ = U sigmoid(G), s_k = u~_k . w_k
//   backward: the chain rule through the same layers, rows of fc3 and fc2 as vector updates.
// Mapping: lanes run along the hidden width H (the inner index of every weight row); each dot
// product is summed in a fixed order, so results do not depend on threads.
#include <cmath>

#include "cpu/fast/hyper_simd.hpp"

#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4)
#endif
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/fast/hyper_simd.cpp"
#include <hwy/foreach_target.h>  // NOLINT: re-includes this file once per target

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cucnf::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

double dot(const double* a, const double* b, int n) {
  const hn::ScalableTag<double> d;
  const int N = int(hn::Lanes(d));
  auto acc = hn::Zero(d);
  int i = 0;
  for (; i + N <= n; i += N) acc = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), acc);
  double s = hn::GetLane(hn::SumOfLanes(d, acc));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

// y += alpha x
void axpy(double alpha, const double* x, double* y, int n) {
  const hn::ScalableTag<double> d;
  const int N = int(hn::Lanes(d));
  const auto va = hn::Set(d, alpha);
  int i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::MulAdd(va, hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d, y + i);
  for (; i < n; ++i) y[i] += alpha * x[i];
}

void HyperForward(const ParamLayout& l, const double* theta, double t, HyperState& out) {
  const int H = l.hidden, P = l.outputs, K = l.width, D = l.dim, KD = K * D;
  out.t = t;
  out.resize(l);
  for (int o = 0; o < H; ++o) out.x1[o] = std::tanh(theta[l.fc1_w + o] * t + theta[l.fc1_b + o]);
  for (int o = 0; o < H; ++o)
    out.x2[o] = std::tanh(theta[l.fc2_b + o] + dot(theta + l.fc2_w + o * H, out.x1.data(), H));
  for (int o = 0; o < P; ++o)
    out.p[o] = theta[l.fc3_b + o] + dot(theta + l.fc3_w + o * H, out.x2.data(), H);
  for (int i = 0; i < KD; ++i) {
    const double sg = 1.0 / (1.0 + std::exp(-out.p[l.p_g + i]));
    out.sig_g[i] = sg;
    out.u_tilde[i] = out.p[l.p_u + i] * sg;
  }
  for (int k = 0; k < K; ++k)
    out.s[k] = dot(out.u_tilde.data() + k * D, out.p.data() + l.p_w + k * D, D);
}

void HyperBackward(const ParamLayout& l, const double* theta, const HyperState& state,
                   const double* g_w, const double* g_b, const double* g_u_tilde, double scale,
                   double* grad_theta, HyperBackwardScratch& scratch) {
  const int H = l.hidden, P = l.outputs;
  std::vector<double>& gp = scratch.gp;
  hyper_output_cotangent(l, state, g_w, g_b, g_u_tilde, gp);
  std::vector<double>& g2 = scratch.g2;
  g2.assign(H, 0.0);
  for (int o = 0; o < P; ++o) {
    const double g = gp[o];
    axpy(scale * g, state.x2.data(), grad_theta + l.fc3_w + o * H, H);
    axpy(g, theta + l.fc3_w + o * H, g2.data(), H);
    grad_theta[l.fc3_b + o] += scale * g;
  }
  std::vector<double>& g1 = scratch.g1;
  g1.assign(H, 0.0);
  for (int o = 0; o < H; ++o) {
    const double g = g2[o] * (1.0 - state.x2[o] * state.x2[o]);
    axpy(scale * g, state.x1.data(), grad_theta + l.fc2_w + o * H, H);
    axpy(g, theta + l.fc2_w + o * H, g1.data(), H);
    grad_theta[l.fc2_b + o] += scale * g;
  }
  for (int o = 0; o < H; ++o) {
    const double g = g1[o] * (1.0 - state.x1[o] * state.x1[o]);
    grad_theta[l.fc1_w + o] += scale * g * state.t;
    grad_theta[l.fc1_b + o] += scale * g;
  }
}

// y_new = y + sum_s c_s k_s;  err_i = (sum_s e_s k_s)_i / (atol + rtol max(|y_i|, |y_new_i|))
// + 0 y_new_i;  returns nothing, writes y_new and err.
void ThetaStep(const double* y, const double* const* k, const double* c, const double* e,
               int stages, double rtol, double atol, std::size_t n, double* y_new, double* err) {
  const hn::ScalableTag<double> d;
  const std::size_t N = hn::Lanes(d);
  const auto vr = hn::Set(d, rtol), va = hn::Set(d, atol);
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto yv = hn::LoadU(d, y + i);
    auto yn = yv, ev = hn::Zero(d);
    for (int s = 0; s < stages; ++s) {
      if (c[s] == 0.0 && e[s] == 0.0) continue;
      const auto kv = hn::LoadU(d, k[s] + i);
      yn = hn::MulAdd(hn::Set(d, c[s]), kv, yn);
      ev = hn::MulAdd(hn::Set(d, e[s]), kv, ev);
    }
    hn::StoreU(yn, d, y_new + i);
    const auto tol = hn::MulAdd(vr, hn::Max(hn::Abs(yv), hn::Abs(yn)), va);
    hn::StoreU(hn::MulAdd(hn::Zero(d), yn, hn::Div(ev, tol)), d, err + i);
  }
  for (; i < n; ++i) {
    double yn = y[i], ev = 0.0;
    for (int s = 0; s < stages; ++s) {
      yn += c[s] * k[s][i];
      ev += e[s] * k[s][i];
    }
    y_new[i] = yn;
    err[i] = ev / (atol + rtol * std::fmax(std::fabs(y[i]), std::fabs(yn))) + 0.0 * yn;
  }
}

double SumSquares(const double* x, std::size_t n) {
  return dot(x, x, int(n));
}

}  // namespace HWY_NAMESPACE
}  // namespace cucnf::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cucnf::detail {

HWY_EXPORT(HyperForward);
HWY_EXPORT(HyperBackward);
HWY_EXPORT(ThetaStep);
HWY_EXPORT(SumSquares);

double sum_squares(const double* x, std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(SumSquares)(x, n);
}

void hyper_forward_simd(const ParamLayout& l, const double* theta, double t, HyperState& out) {
  HWY_DYNAMIC_DISPATCH(HyperForward)(l, theta, t, out);
}

void hyper_backward_simd(const ParamLayout& l, const double* theta, const HyperState& state,
                         const double* g_w, const double* g_b, const double* g_u_tilde,
                         double scale, double* grad_theta, HyperBackwardScratch& scratch) {
  HWY_DYNAMIC_DISPATCH(HyperBackward)
  (l, theta, state, g_w, g_b, g_u_tilde, scale, grad_theta, scratch);
}

void theta_step(const double* y, const double* const* k, const double* c, const double* e,
                int stages, double rtol, double atol, std::size_t n, double* y_new, double* err) {
  HWY_DYNAMIC_DISPATCH(ThetaStep)(y, k, c, e, stages, rtol, atol, n, y_new, err);
}

}  // namespace cucnf::detail
#endif  // HWY_ONCE
