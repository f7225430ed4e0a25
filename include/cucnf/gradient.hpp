// Options and results of the maximum-likelihood gradient.
#pragma once

#include <vector>

#include "cucnf/solver.hpp"

namespace cucnf {

/// How dL/dtheta is computed.
enum class Adjoint {
  /// Continuous adjoint (torchdiffeq's odeint_adjoint): solve [z, l, a_z, a_l, a_theta]
  /// backwards with its own adaptive steps, re-solving z. Memory independent of step count.
  continuous,
  /// Exact discrete adjoint: backpropagate through the accepted forward steps, from saved
  /// states. The exact gradient of what the forward solve computed; memory grows with steps.
  discrete,
};

struct GradientOptions {
  Adjoint adjoint = Adjoint::continuous;
  /// Tolerances of the backward solve (continuous adjoint); 0 means "same as the forward".
  double adjoint_rtol = 0.0;
  double adjoint_atol = 0.0;
  /// Leave a_theta out of the backward solve's error norm (Kidger et al. 2021, "Hey, that's
  /// not an ODE"): fewer backward steps, same gradient to within tolerance.
  bool seminorm = false;
};

/// L = -(1/N) sum_n log p(x_n) and its gradient.
struct GradientResult {
  double loss = 0.0;
  std::vector<double> grad;  ///< dL/dtheta, same layout and length as Model::params()
  SolveStats forward;        ///< the density solve t1 -> t0
  SolveStats backward;       ///< the adjoint solve t0 -> t1 (continuous) or the backward pass
};

}  // namespace cucnf
