// Exact discrete adjoint on the CPU: backpropagation through the accepted Runge-Kutta steps.
#pragma once

#include <cstddef>

#include "backend.hpp"
#include "core/param_layout.hpp"

namespace cucnf::detail {

/// Solves the density direction (t1 -> t0) saving every accepted step, then replays the steps
/// backwards: for each stage, the cotangent of its derivative is pulled back through the
/// field (vector-Jacobian products) and the hypernetwork. The result is the exact gradient of
/// the loss that the forward solve computed (step sizes held fixed, as in backpropagation
/// through torchdiffeq, whose error control runs without gradients).
GradientResult discrete_adjoint_gradient(const ParamLayout& layout, const double* theta,
                                         const double* x, std::size_t n, const FlowSpec& spec,
                                         const SolverOptions& options);

}  // namespace cucnf::detail
