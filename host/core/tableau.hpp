// Butcher tableaus of the explicit Runge-Kutta methods. One struct drives every method on
// every backend; it is small enough to pass to a kernel by value.
#pragma once

#include "cucnf/solver.hpp"

namespace cucnf::detail {

inline constexpr int kMaxStages = 7;

struct Tableau {
  int stages = 1;  ///< S: number of derivative evaluations in one step (k_0 ... k_{S-1})
  int order = 1;   ///< order used by the step-size controller
  bool adaptive = false;
  /// The last stage's derivative is reused as the next step's k_0 after an accepted step
  /// (torchdiffeq reuses it for every adaptive method; for fehlberg2 and heun_euler the last
  /// stage is evaluated at the lower-order solution, exactly as torchdiffeq does).
  bool fsal = false;
  /// b equals the last row of a, so y_new is the last stage's input (dopri5, bosh3, tsit5).
  bool b_is_last_stage = false;
  double c[kMaxStages] = {};
  double a[kMaxStages][kMaxStages] = {};
  double b[kMaxStages] = {};
  double e[kMaxStages] = {};  ///< error weights: err = h * sum_j e_j k_j
  /// Field evaluations per step attempt: S, or S - 1 when k_0 is carried over (FSAL).
  int evals_per_attempt() const { return fsal ? stages - 1 : stages; }
};

/// The tableau of a method (a reference to a static table).
const Tableau& tableau(Method method);

}  // namespace cucnf::detail
