// SolverOptions -> controller constants.
#pragma once

#include "core/step_control.hpp"
#include "core/tableau.hpp"
#include "cucnf/solver.hpp"

namespace cucnf::detail {

inline ControlParams control_params(const SolverOptions& o, double rtol, double atol) {
  return make_control_params(tableau(o.method), rtol, atol, o.safety, o.ifactor, o.dfactor,
                             o.min_step, o.max_num_steps);
}

inline ControlParams control_params(const SolverOptions& o) {
  return control_params(o, o.rtol, o.atol);
}

}  // namespace cucnf::detail
