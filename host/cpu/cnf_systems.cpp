#include "cpu/cnf_systems.hpp"

#include <algorithm>

#include "cpu/planar.hpp"

namespace cucnf::detail {

CnfSystem::CnfSystem(const ParamLayout& layout, const double* theta, std::size_t n)
    : layout_(layout), theta_(theta), n_(n) {
  const std::size_t nd = n * layout.dim;
  parts_ = {{0, nd}, {nd, nd + n}};
}

void CnfSystem::eval(double t, const double* y, double* dydt) {
  hyper_forward(layout_, theta_, t, hyper_);
  const std::size_t nd = n_ * layout_.dim;
  planar_field(layout_, hyper_, n_, y, dydt, dydt + nd);
}

AdjointSystem::AdjointSystem(const ParamLayout& layout, const double* theta, std::size_t n,
                             bool seminorm)
    : layout_(layout), theta_(theta), n_(n) {
  const std::size_t kd = std::size_t(layout.width) * layout.dim;
  g_w_.resize(kd);
  g_b_.resize(layout.width);
  g_u_.resize(kd);
  const std::size_t block = n * (layout.dim + 1);
  parts_ = {{0, block}, {block, 2 * block}};
  if (!seminorm) {
    const std::size_t base = theta_offset();
    const int offsets[7] = {layout.fc1_w, layout.fc1_b, layout.fc2_w, layout.fc2_b,
                            layout.fc3_w, layout.fc3_b, layout.total};
    for (int i = 0; i < 6; ++i) parts_.push_back({base + offsets[i], base + offsets[i + 1]});
  }
}

void AdjointSystem::eval(double t, const double* y, double* dydt) {
  hyper_forward(layout_, theta_, t, hyper_);
  const std::size_t nd = n_ * layout_.dim;
  // z and l move as in the forward solve.
  planar_field(layout_, hyper_, n_, y + z_offset(), dydt + z_offset(), dydt + l_offset());
  // a_z and a_theta: minus the vector-Jacobian products with a = [a_z, a_l].
  std::fill(g_w_.begin(), g_w_.end(), 0.0);
  std::fill(g_b_.begin(), g_b_.end(), 0.0);
  std::fill(g_u_.begin(), g_u_.end(), 0.0);
  double* da_z = dydt + az_offset();
  planar_vjp(layout_, hyper_, n_, y + z_offset(), y + az_offset(), y + al_offset(), da_z,
             g_w_.data(), g_b_.data(), g_u_.data(), sum_ul_d_);
  for (std::size_t i = 0; i < nd; ++i) da_z[i] = -da_z[i];
  std::fill(dydt + al_offset(), dydt + al_offset() + n_, 0.0);
  double* da_theta = dydt + theta_offset();
  std::fill(da_theta, da_theta + layout_.total, 0.0);
  hyper_backward(layout_, theta_, hyper_, g_w_.data(), g_b_.data(), g_u_.data(), -1.0, da_theta,
                 scratch_);
}

}  // namespace cucnf::detail
