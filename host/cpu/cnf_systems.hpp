// The two ODE systems of a CNF on the CPU: the state [z, l] of a density or sampling solve,
// and the continuous adjoint's augmented state [z, l, a_z, a_l, a_theta].
#pragma once

#include <vector>

#include "cpu/cpu_rk.hpp"
#include "cpu/hypernet.hpp"

namespace cucnf::detail {

/// d/dt [z, l] = [f(z, t), -tr(df/dz)] for n points. Error-norm parts: z and l separately.
class CnfSystem final : public CpuSystem {
 public:
  CnfSystem(const ParamLayout& layout, const double* theta, std::size_t n);
  std::size_t size() const override { return n_ * (layout_.dim + 1); }
  void eval(double t, const double* y, double* dydt) override;
  const std::vector<NormPart>& norm_parts() const override { return parts_; }

 private:
  ParamLayout layout_;
  const double* theta_;
  std::size_t n_;
  HyperState hyper_;
  std::vector<NormPart> parts_;
};

/// The augmented adjoint system, integrated in the direction opposite to the forward solve:
///   d/dt [z, l, a_z, a_l, a_theta] = [f, -tr, -a^T dF/dz, 0, -a^T dF/dtheta],  F = [f, -tr].
/// Error-norm parts as torchdiffeq's default adjoint norm: [z, l] together, [a_z, a_l]
/// together, and each parameter tensor of a_theta (left out with the seminorm).
class AdjointSystem final : public CpuSystem {
 public:
  AdjointSystem(const ParamLayout& layout, const double* theta, std::size_t n, bool seminorm);
  std::size_t size() const override { return 2 * n_ * (layout_.dim + 1) + layout_.total; }
  void eval(double t, const double* y, double* dydt) override;
  const std::vector<NormPart>& norm_parts() const override { return parts_; }

  // Offsets of the parts of the state.
  std::size_t z_offset() const { return 0; }
  std::size_t l_offset() const { return n_ * layout_.dim; }
  std::size_t az_offset() const { return n_ * (layout_.dim + 1); }
  std::size_t al_offset() const { return az_offset() + n_ * layout_.dim; }
  std::size_t theta_offset() const { return 2 * n_ * (layout_.dim + 1); }

 private:
  ParamLayout layout_;
  const double* theta_;
  std::size_t n_;
  HyperState hyper_;
  std::vector<double> g_w_, g_b_, g_u_, sum_ul_d_;
  HyperBackwardScratch scratch_;
  std::vector<NormPart> parts_;
};

}  // namespace cucnf::detail
