// The fast CPU path's serial, per-stage work in SIMD (float64): the hypernetwork forward and
// backward (same maths and results to rounding as cpu/hypernet.hpp), and the Runge-Kutta
// update of the adjoint's parameter cotangent a_theta.
#pragma once

#include <cstddef>

#include "cpu/hypernet.hpp"

namespace cucnf::detail {

/// As hyper_forward.
void hyper_forward_simd(const ParamLayout& l, const double* theta, double t, HyperState& out);

/// As hyper_backward.
void hyper_backward_simd(const ParamLayout& l, const double* theta, const HyperState& state,
                         const double* g_w, const double* g_b, const double* g_u_tilde,
                         double scale, double* grad_theta, HyperBackwardScratch& scratch);

/// y_new = y + sum_s c_s k_s and the scaled error err_i = (sum_s e_s k_s)_i /
/// (atol + rtol max(|y_i|, |y_new_i|)) (NaN where y_new_i is not finite), over n values.
void theta_step(const double* y, const double* const* k, const double* c, const double* e,
                int stages, double rtol, double atol, std::size_t n, double* y_new, double* err);

/// sum_i x_i^2 (in a fixed order).
double sum_squares(const double* x, std::size_t n);

}  // namespace cucnf::detail
