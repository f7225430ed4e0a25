// The fast CPU path's serial, per-stage work in SIMD (float64): the hypernetwork forward and
// backward (same maths and results to rounding as cpu/hypernet.hpp), and the Runge-Kutta
// update of the adjoint's parameter cotangent a_theta.
#pragma once

#include <cstddef>
#include <vector>

#include "cpu/hypernet.hpp"

namespace cucnf::detail {

/// fc2's and fc3's weights transposed (input-major), as the SIMD forward pass reads them: built
/// once per solve, as the parameters are fixed during one.
struct HyperTransposed {
  std::vector<double> fc2, fc3;
  void build(const ParamLayout& l, const double* theta);
};

/// As hyper_forward; `wt` was built from the same theta.
void hyper_forward_simd(const ParamLayout& l, const double* theta, const HyperTransposed& wt,
                        double t, HyperState& out);

/// As hyper_backward, but sets grad_theta to scale * dL/dtheta rather than adding to it, for
/// every tensor but fc3's weight: its derivative is the outer product scale * gp x2^T of
/// scratch.gp (the output cotangent, left there) and state.x2, which the caller keeps as its
/// two factors (theta_step_rank_one) instead of P x H values; that region is not written.
void hyper_backward_simd(const ParamLayout& l, const double* theta, const HyperState& state,
                         const double* g_w, const double* g_b, const double* g_u_tilde,
                         double scale, double* grad_theta, HyperBackwardScratch& scratch);

/// y_new = y + sum_s c_s k_s and the scaled error err_i = (sum_s e_s k_s)_i /
/// (atol + rtol max(|y_i|, |y_new_i|)) (NaN where y_new_i is not finite), over n values.
void theta_step(const double* y, const double* const* k, const double* c, const double* e,
                int stages, double rtol, double atol, std::size_t n, double* y_new, double* err);

/// theta_step for a block of `rows` x `cols` values (fc3's weight) whose stage derivatives
/// are outer products gp_s x2_s^T: writes y_new and returns the sum of err_i^2.
double theta_step_rank_one(const double* y, const double* const* gp, const double* const* x2,
                           const double* c, const double* e, int stages, double rtol, double atol,
                           int rows, int cols, double* y_new);

/// sum_i x_i^2 (in a fixed order).
double sum_squares(const double* x, std::size_t n);

/// sum_i (v_i / (atol + rtol |y_i|))^2 (in a fixed order): the initial step's norms.
double scaled_sum_squares(const double* v, const double* y, double rtol, double atol,
                          std::size_t n);

}  // namespace cucnf::detail
