#include "cpu/hypernet.hpp"

#include <cmath>

namespace cucnf::detail {

void hyper_forward(const ParamLayout& l, const double* theta, double t, HyperState& out) {
  const int H = l.hidden, P = l.outputs, K = l.width, D = l.dim, KD = K * D;
  out.t = t;
  out.resize(l);
  for (int o = 0; o < H; ++o) out.x1[o] = std::tanh(theta[l.fc1_w + o] * t + theta[l.fc1_b + o]);
  for (int o = 0; o < H; ++o) {
    double acc = theta[l.fc2_b + o];
    const double* row = theta + l.fc2_w + o * H;
    for (int i = 0; i < H; ++i) acc += row[i] * out.x1[i];
    out.x2[o] = std::tanh(acc);
  }
  for (int o = 0; o < P; ++o) {
    double acc = theta[l.fc3_b + o];
    const double* row = theta + l.fc3_w + o * H;
    for (int i = 0; i < H; ++i) acc += row[i] * out.x2[i];
    out.p[o] = acc;
  }
  for (int i = 0; i < KD; ++i) {
    const double sg = 1.0 / (1.0 + std::exp(-out.p[l.p_g + i]));
    out.sig_g[i] = sg;
    out.u_tilde[i] = out.p[l.p_u + i] * sg;
  }
  for (int k = 0; k < K; ++k) {
    double acc = 0.0;
    for (int j = 0; j < D; ++j) acc += out.u_tilde[k * D + j] * out.p[l.p_w + k * D + j];
    out.s[k] = acc;
  }
}

void hyper_output_cotangent(const ParamLayout& l, const HyperState& state, const double* g_w,
                            const double* g_b, const double* g_u_tilde, std::vector<double>& gp) {
  const int KD = l.width * l.dim;
  gp.resize(l.outputs);
  for (int i = 0; i < KD; ++i) {
    const double sg = state.sig_g[i];
    gp[l.p_w + i] = g_w[i];
    gp[l.p_u + i] = g_u_tilde[i] * sg;
    gp[l.p_g + i] = g_u_tilde[i] * state.p[l.p_u + i] * sg * (1.0 - sg);
  }
  for (int k = 0; k < l.width; ++k) gp[l.p_b + k] = g_b[k];
}

void hyper_backward(const ParamLayout& l, const double* theta, const HyperState& state,
                    const double* g_w, const double* g_b, const double* g_u_tilde, double scale,
                    double* grad_theta, HyperBackwardScratch& scratch) {
  const int H = l.hidden, P = l.outputs;
  std::vector<double>& gp = scratch.gp;
  hyper_output_cotangent(l, state, g_w, g_b, g_u_tilde, gp);

  std::vector<double>& g2 = scratch.g2;
  g2.assign(H, 0.0);
  for (int o = 0; o < P; ++o) {
    const double g = gp[o];
    double* grow = grad_theta + l.fc3_w + o * H;
    const double* row = theta + l.fc3_w + o * H;
    for (int i = 0; i < H; ++i) {
      grow[i] += scale * g * state.x2[i];
      g2[i] += row[i] * g;
    }
    grad_theta[l.fc3_b + o] += scale * g;
  }
  std::vector<double>& g1 = scratch.g1;
  g1.assign(H, 0.0);
  for (int o = 0; o < H; ++o) {
    const double g = g2[o] * (1.0 - state.x2[o] * state.x2[o]);
    double* grow = grad_theta + l.fc2_w + o * H;
    const double* row = theta + l.fc2_w + o * H;
    for (int i = 0; i < H; ++i) {
      grow[i] += scale * g * state.x1[i];
      g1[i] += row[i] * g;
    }
    grad_theta[l.fc2_b + o] += scale * g;
  }
  for (int o = 0; o < H; ++o) {
    const double g = g1[o] * (1.0 - state.x1[o] * state.x1[o]);
    grad_theta[l.fc1_w + o] += scale * g * state.t;
    grad_theta[l.fc1_b + o] += scale * g;
  }
}

}  // namespace cucnf::detail
