// The tanh-planar field, its exact trace and their vector-Jacobian products on the CPU
// (float64). The reference every GPU kernel is checked against.
//
//   a_k = w_k . z + b_k,  h_k = tanh(a_k),  d_k = 1 - h_k^2,  s_k = u~_k . w_k
//   f(z) = (1/K) sum_k u~_k h_k,   tr(df/dz) = (1/K) sum_k d_k s_k,   F = [f, -tr]
#pragma once

#include <cstddef>
#include <vector>

#include "cpu/hypernet.hpp"

namespace cucnf::detail {

/// dz = f(z), dl = -tr(df/dz) for n points z (n x D).
void planar_field(const ParamLayout& l, const HyperState& hs, std::size_t n, const double* z,
                  double* dz, double* dl);

/// Cotangent (u_z, u_l) of F = [f, -tr] at n points: writes vjp_z = u^T dF/dz (n x D) and
/// adds the batch-summed u^T dF/dW, u^T dF/dB, u^T dF/dU~ into g_w (K x D), g_b (K),
/// g_u_tilde (K x D). With m_k = d_k (u_z . u~_k + 2 u_l h_k s_k):
///   vjp_z = (1/K) sum_k m_k w_k
///   g_w_k += (1/K) (m_k z - u_l d_k u~_k),  g_b_k += (1/K) m_k,
///   g_u~_k += (1/K) (h_k u_z - u_l d_k w_k)
/// `sum_ul_d` is scratch (K values).
void planar_vjp(const ParamLayout& l, const HyperState& hs, std::size_t n, const double* z,
                const double* u_z, const double* u_l, double* vjp_z, double* g_w, double* g_b,
                double* g_u_tilde, std::vector<double>& sum_ul_d);

}  // namespace cucnf::detail
