// The hypernetwork on the CPU in SIMD (float64): the same maths as cpu/hypernet.cpp (the
// reference), which a scalar compiler cannot vectorise because its dot products are serial
// sums; and the adjoint's a_theta update. One call per stage (per attempt for the update).
//
//   forward:  x1 = tanh(fc1 t), x2 = tanh(fc2 x1), p = fc3 x2, u~ = U sigmoid(G), s_k = u~_k . w_k
//             fc2 and fc3 from transposed copies: lanes along a layer's outputs.
//   backward: the chain rule through the same layers; fc3^T gp with lanes along the hidden
//             width H, fc2's rows as vector updates; fc3's weight derivative left as its
//             factors gp x2^T (theta_step_rank_one updates a_theta from them).
// Every sum is formed in a fixed order, so results do not depend on threads.
#include <cmath>

#include "core/tableau.hpp"
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

// y = alpha x
void scaled(double alpha, const double* x, double* y, int n) {
  const hn::ScalableTag<double> d;
  const int N = int(hn::Lanes(d));
  const auto va = hn::Set(d, alpha);
  int i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(va, hn::LoadU(d, x + i)), d, y + i);
  for (; i < n; ++i) y[i] = alpha * x[i];
}

// out = bias + W in for a layer of `outs` outputs (bias nullptr: none), W given transposed (wt:
// ins x outs, row j is column j of W), so that lanes run along the outputs: no horizontal sums.
// Four vectors of outputs at a time keep four independent FMA chains in flight.
void AffineTransposed(const double* wt, const double* bias, const double* in, int ins, int outs,
                      double* out) {
  const hn::ScalableTag<double> d;
  const int N = int(hn::Lanes(d));
  auto start = [&](int at) { return bias ? hn::LoadU(d, bias + at) : hn::Zero(d); };
  int o = 0;
  for (; o + 4 * N <= outs; o += 4 * N) {
    auto a0 = start(o), a1 = start(o + N), a2 = start(o + 2 * N), a3 = start(o + 3 * N);
    for (int j = 0; j < ins; ++j) {
      const auto x = hn::Set(d, in[j]);
      const double* row = wt + std::size_t(j) * outs + o;
      a0 = hn::MulAdd(x, hn::LoadU(d, row), a0);
      a1 = hn::MulAdd(x, hn::LoadU(d, row + N), a1);
      a2 = hn::MulAdd(x, hn::LoadU(d, row + 2 * N), a2);
      a3 = hn::MulAdd(x, hn::LoadU(d, row + 3 * N), a3);
    }
    hn::StoreU(a0, d, out + o);
    hn::StoreU(a1, d, out + o + N);
    hn::StoreU(a2, d, out + o + 2 * N);
    hn::StoreU(a3, d, out + o + 3 * N);
  }
  for (; o + N <= outs; o += N) {
    auto a = start(o);
    for (int j = 0; j < ins; ++j)
      a = hn::MulAdd(hn::Set(d, in[j]), hn::LoadU(d, wt + std::size_t(j) * outs + o), a);
    hn::StoreU(a, d, out + o);
  }
  for (; o < outs; ++o) {
    double a = bias ? bias[o] : 0.0;
    for (int j = 0; j < ins; ++j) a += wt[std::size_t(j) * outs + o] * in[j];
    out[o] = a;
  }
}

void TanhInPlace(double* x, int n) {
  const hn::ScalableTag<double> d;
  const int N = int(hn::Lanes(d));
  int i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Tanh(d, hn::LoadU(d, x + i)), d, x + i);
  for (; i < n; ++i) x[i] = std::tanh(x[i]);
}

void HyperForward(const ParamLayout& l, const double* theta, const HyperTransposed& wt, double t,
                  HyperState& out) {
  const int H = l.hidden, P = l.outputs, K = l.width, D = l.dim, KD = K * D;
  out.t = t;
  out.resize(l);
  const double time = t;
  AffineTransposed(theta + l.fc1_w, theta + l.fc1_b, &time, 1, H, out.x1.data());
  TanhInPlace(out.x1.data(), H);
  AffineTransposed(wt.fc2.data(), theta + l.fc2_b, out.x1.data(), H, H, out.x2.data());
  TanhInPlace(out.x2.data(), H);
  AffineTransposed(wt.fc3.data(), theta + l.fc3_b, out.x2.data(), H, P, out.p.data());
  // sigmoid(G) = 1 / (1 + exp(-G)), u~ = U sigmoid(G). Highway's Exp holds only below +706
  // (beyond, it wraps; of NaN it gives 0), so it is taken of -|G| <= 0 only: sigmoid(G) =
  // 1 / (1 + e) for G >= 0 and e / (1 + e) below, e = exp(-|G|); NaN passes through.
  const hn::ScalableTag<double> d;
  const int N = int(hn::Lanes(d));
  const auto one = hn::Set(d, 1.0);
  int i = 0;
  for (; i + N <= KD; i += N) {
    const auto g = hn::LoadU(d, out.p.data() + l.p_g + i);
    const auto e = hn::Exp(d, hn::Neg(hn::Abs(g)));
    const auto inv = hn::Div(one, hn::Add(one, e));
    const auto sg = hn::IfThenElse(hn::IsNaN(g), g,
                                   hn::IfThenElse(hn::Ge(g, hn::Zero(d)), inv, hn::Mul(e, inv)));
    hn::StoreU(sg, d, out.sig_g.data() + i);
    hn::StoreU(hn::Mul(hn::LoadU(d, out.p.data() + l.p_u + i), sg), d, out.u_tilde.data() + i);
  }
  for (; i < KD; ++i) {
    const double sg = 1.0 / (1.0 + std::exp(-out.p[l.p_g + i]));
    out.sig_g[i] = sg;
    out.u_tilde[i] = out.p[l.p_u + i] * sg;
  }
  for (int k = 0; k < K; ++k) {
    double s = 0.0;
    for (int j = 0; j < D; ++j) s += out.u_tilde[k * D + j] * out.p[l.p_w + k * D + j];
    out.s[k] = s;
  }
}

void HyperBackward(const ParamLayout& l, const double* theta, const HyperState& state,
                   const double* g_w, const double* g_b, const double* g_u_tilde, double scale,
                   double* grad_theta, HyperBackwardScratch& scratch) {
  const int H = l.hidden, P = l.outputs;
  std::vector<double>& gp = scratch.gp;
  hyper_output_cotangent(l, state, g_w, g_b, g_u_tilde, gp);
  std::vector<double>& g2 = scratch.g2;
  g2.resize(H);
  // g2 = fc3^T gp: fc3's rows (P x H) are what AffineTransposed reads as a transposed layer.
  AffineTransposed(theta + l.fc3_w, nullptr, gp.data(), P, H, g2.data());
  for (int o = 0; o < P; ++o) grad_theta[l.fc3_b + o] = scale * gp[o];
  std::vector<double>& g1 = scratch.g1;
  g1.assign(H, 0.0);
  for (int o = 0; o < H; ++o) {
    const double g = g2[o] * (1.0 - state.x2[o] * state.x2[o]);
    scaled(scale * g, state.x1.data(), grad_theta + l.fc2_w + o * H, H);
    axpy(g, theta + l.fc2_w + o * H, g1.data(), H);
    grad_theta[l.fc2_b + o] = scale * g;
  }
  for (int o = 0; o < H; ++o) {
    const double g = g1[o] * (1.0 - state.x1[o] * state.x1[o]);
    grad_theta[l.fc1_w + o] = scale * g * state.t;
    grad_theta[l.fc1_b + o] = scale * g;
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

// The fc3-weight block of ThetaStep, from rank-one stage derivatives k_s = gp_s x2_s^T (rows x
// cols): y_new = y + sum_s c_s k_s; returns sum_i (err_i / tol_i)^2 with err = sum_s e_s k_s,
// tol = atol + rtol max(|y|, |y_new|), NaN where y_new is not finite (as ThetaStep).
double ThetaStepRankOne(const double* y, const double* const* gp, const double* const* x2,
                        const double* c, const double* e, int stages, double rtol, double atol,
                        int rows, int cols, double* y_new) {
  const hn::ScalableTag<double> d;
  const int N = int(hn::Lanes(d));
  const auto vr = hn::Set(d, rtol), va = hn::Set(d, atol);
  auto acc = hn::Zero(d);
  double tail = 0.0;
  for (int o = 0; o < rows; ++o) {
    double alpha[kMaxStages], beta[kMaxStages];
    const double* x[kMaxStages];
    int used = 0;
    for (int s = 0; s < stages; ++s) {
      if (c[s] == 0.0 && e[s] == 0.0) continue;
      alpha[used] = c[s] * gp[s][o];
      beta[used] = e[s] * gp[s][o];
      x[used++] = x2[s];
    }
    const double* yr = y + std::size_t(o) * cols;
    double* nr = y_new + std::size_t(o) * cols;
    int j = 0;
    for (; j + N <= cols; j += N) {
      const auto yv = hn::LoadU(d, yr + j);
      auto yn = yv, ev = hn::Zero(d);
      for (int u = 0; u < used; ++u) {
        const auto xv = hn::LoadU(d, x[u] + j);
        yn = hn::MulAdd(hn::Set(d, alpha[u]), xv, yn);
        ev = hn::MulAdd(hn::Set(d, beta[u]), xv, ev);
      }
      hn::StoreU(yn, d, nr + j);
      const auto tol = hn::MulAdd(vr, hn::Max(hn::Abs(yv), hn::Abs(yn)), va);
      const auto q = hn::MulAdd(hn::Zero(d), yn, hn::Div(ev, tol));
      acc = hn::MulAdd(q, q, acc);
    }
    for (; j < cols; ++j) {
      double yn = yr[j], ev = 0.0;
      for (int u = 0; u < used; ++u) {
        yn += alpha[u] * x[u][j];
        ev += beta[u] * x[u][j];
      }
      nr[j] = yn;
      const double q = ev / (atol + rtol * std::fmax(std::fabs(yr[j]), std::fabs(yn))) + 0.0 * yn;
      tail += q * q;
    }
  }
  return hn::GetLane(hn::SumOfLanes(d, acc)) + tail;
}

double SumSquares(const double* x, std::size_t n) {
  return dot(x, x, int(n));
}

// sum_i (v_i / (atol + rtol |y_i|))^2
double ScaledSumSquares(const double* v, const double* y, double rtol, double atol, std::size_t n) {
  const hn::ScalableTag<double> d;
  const std::size_t N = hn::Lanes(d);
  const auto vr = hn::Set(d, rtol), va = hn::Set(d, atol);
  auto acc = hn::Zero(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto q = hn::Div(hn::LoadU(d, v + i), hn::MulAdd(vr, hn::Abs(hn::LoadU(d, y + i)), va));
    acc = hn::MulAdd(q, q, acc);
  }
  double sum = hn::GetLane(hn::SumOfLanes(d, acc));
  for (; i < n; ++i) {
    const double q = v[i] / (atol + rtol * std::fabs(y[i]));
    sum += q * q;
  }
  return sum;
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
HWY_EXPORT(ScaledSumSquares);
HWY_EXPORT(ThetaStepRankOne);

double theta_step_rank_one(const double* y, const double* const* gp, const double* const* x2,
                           const double* c, const double* e, int stages, double rtol, double atol,
                           int rows, int cols, double* y_new) {
  return HWY_DYNAMIC_DISPATCH(ThetaStepRankOne)(y, gp, x2, c, e, stages, rtol, atol, rows, cols,
                                                y_new);
}

double scaled_sum_squares(const double* v, const double* y, double rtol, double atol,
                          std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(ScaledSumSquares)(v, y, rtol, atol, n);
}

double sum_squares(const double* x, std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(SumSquares)(x, n);
}

void HyperTransposed::build(const ParamLayout& l, const double* theta) {
  const std::size_t H = l.hidden, P = l.outputs;
  fc2.resize(H * H);
  fc3.resize(H * P);
  for (std::size_t o = 0; o < H; ++o)
    for (std::size_t j = 0; j < H; ++j) fc2[j * H + o] = theta[l.fc2_w + o * H + j];
  for (std::size_t o = 0; o < P; ++o)
    for (std::size_t j = 0; j < H; ++j) fc3[j * P + o] = theta[l.fc3_w + o * H + j];
}

void hyper_forward_simd(const ParamLayout& l, const double* theta, const HyperTransposed& wt,
                        double t, HyperState& out) {
  HWY_DYNAMIC_DISPATCH(HyperForward)(l, theta, wt, t, out);
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
