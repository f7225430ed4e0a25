#include "cpu/planar.hpp"

#include <cmath>
#include <vector>

namespace cucnf::detail {

void planar_field(const ParamLayout& l, const HyperState& hs, std::size_t n, const double* z,
                  double* dz, double* dl) {
  const int K = l.width, D = l.dim;
  const double inv_k = 1.0 / K;
  const double* w = hs.w();
  const double* b = hs.b(l);
  for (std::size_t i = 0; i < n; ++i) {
    const double* zi = z + i * D;
    double* fi = dz + i * D;
    for (int j = 0; j < D; ++j) fi[j] = 0.0;
    double tr = 0.0;
    for (int k = 0; k < K; ++k) {
      double a = b[k];
      for (int j = 0; j < D; ++j) a += w[k * D + j] * zi[j];
      const double h = std::tanh(a);
      for (int j = 0; j < D; ++j) fi[j] += hs.u_tilde[k * D + j] * h;
      tr += (1.0 - h * h) * hs.s[k];
    }
    for (int j = 0; j < D; ++j) fi[j] *= inv_k;
    dl[i] = -tr * inv_k;
  }
}

void planar_vjp(const ParamLayout& l, const HyperState& hs, std::size_t n, const double* z,
                const double* u_z, const double* u_l, double* vjp_z, double* g_w, double* g_b,
                double* g_u_tilde, std::vector<double>& sum_ul_d) {
  const int K = l.width, D = l.dim;
  const double inv_k = 1.0 / K;
  const double* w = hs.w();
  const double* b = hs.b(l);
  // Batch sums first; the terms that only scale a parameter are applied once at the end.
  sum_ul_d.assign(K, 0.0);  // sum_n u_l d_k
  for (std::size_t i = 0; i < n; ++i) {
    const double* zi = z + i * D;
    const double* ui = u_z + i * D;
    const double ul = u_l[i];
    double* vi = vjp_z + i * D;
    for (int j = 0; j < D; ++j) vi[j] = 0.0;
    for (int k = 0; k < K; ++k) {
      double a = b[k];
      double q = 0.0;
      for (int j = 0; j < D; ++j) {
        a += w[k * D + j] * zi[j];
        q += ui[j] * hs.u_tilde[k * D + j];
      }
      const double h = std::tanh(a);
      const double d = 1.0 - h * h;
      const double m = d * (q + 2.0 * ul * h * hs.s[k]);
      for (int j = 0; j < D; ++j) {
        vi[j] += m * w[k * D + j];
        g_w[k * D + j] += inv_k * m * zi[j];
        g_u_tilde[k * D + j] += inv_k * h * ui[j];
      }
      g_b[k] += inv_k * m;
      sum_ul_d[k] += ul * d;
    }
    for (int j = 0; j < D; ++j) vi[j] *= inv_k;
  }
  for (int k = 0; k < K; ++k) {
    for (int j = 0; j < D; ++j) {
      g_w[k * D + j] -= inv_k * sum_ul_d[k] * hs.u_tilde[k * D + j];
      g_u_tilde[k * D + j] -= inv_k * sum_ul_d[k] * w[k * D + j];
    }
  }
}

}  // namespace cucnf::detail
