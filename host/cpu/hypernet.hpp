// The hypernetwork on the CPU (float64): t -> W(t), B(t), U~(t) and its backward pass.
#pragma once

#include <cstddef>
#include <vector>

#include "core/param_layout.hpp"

namespace cucnf::detail {

/// The hypernetwork evaluated at one time, with what its backward pass needs.
struct HyperState {
  double t = 0.0;
  std::vector<double> x1;       ///< H: tanh(fc1(t))
  std::vector<double> x2;       ///< H: tanh(fc2(x1))
  std::vector<double> p;        ///< P = 3KD + K raw outputs: [W, U, G, B]
  std::vector<double> u_tilde;  ///< KD: U * sigmoid(G)
  std::vector<double> sig_g;    ///< KD: sigmoid(G)
  std::vector<double> s;        ///< K: s_k = u~_k . w_k
  /// Sizes the vectors for layout `l` (no allocation once they have the size).
  void resize(const ParamLayout& l) {
    x1.resize(l.hidden);
    x2.resize(l.hidden);
    p.resize(l.outputs);
    u_tilde.resize(std::size_t(l.width) * l.dim);
    sig_g.resize(std::size_t(l.width) * l.dim);
    s.resize(l.width);
  }
  const double* w() const { return p.data(); }
  const double* b(const ParamLayout& l) const { return p.data() + l.p_b; }
};

/// Reusable memory of hyper_backward (so the adjoint's evaluations allocate nothing).
struct HyperBackwardScratch {
  std::vector<double> gp, g1, g2;
};

/// Evaluates the hypernetwork of parameters `theta` at time t.
void hyper_forward(const ParamLayout& l, const double* theta, double t, HyperState& out);

/// gp = dL/dp, the cotangent of the hypernetwork's raw outputs [W, U, G, B], from those of
/// W, B and U~ = U sigmoid(G) (the first step of hyper_backward, shared with the SIMD path).
void hyper_output_cotangent(const ParamLayout& l, const HyperState& state, const double* g_w,
                            const double* g_b, const double* g_u_tilde, std::vector<double>& gp);

/// Backpropagates gradients with respect to W (K x D), B (K) and U~ (K x D) at the time of
/// `state` through the hypernetwork, adding scale * dL/dtheta into grad_theta.
void hyper_backward(const ParamLayout& l, const double* theta, const HyperState& state,
                    const double* g_w, const double* g_b, const double* g_u_tilde, double scale,
                    double* grad_theta, HyperBackwardScratch& scratch);

}  // namespace cucnf::detail
