#include <cmath>
#include <string>

#include "backend.hpp"
#include "cucnf/error.hpp"

namespace cucnf::detail {

void validate_gradient_options(const GradientOptions& o) {
  if (o.adjoint != Adjoint::continuous && o.adjoint != Adjoint::discrete)
    throw Error(ErrorKind::invalid_argument,
                "unknown adjoint value " + std::to_string(static_cast<int>(o.adjoint)) +
                    " (valid: Adjoint::continuous, Adjoint::discrete)");
  if (!(o.adjoint_rtol >= 0 && std::isfinite(o.adjoint_rtol) && o.adjoint_atol >= 0 &&
        std::isfinite(o.adjoint_atol)))
    throw Error(ErrorKind::invalid_argument,
                "adjoint_rtol and adjoint_atol must be finite and >= 0 (0: same as the forward "
                "solve)");
}

void check_finite_loss(double loss) {
  if (!std::isfinite(loss))
    throw Error(ErrorKind::non_finite_state,
                "the loss is not finite (" + std::to_string(loss) +
                    "): a point ends where the base density underflows, or the solve diverged");
}

void check_finite_gradient(double loss, const std::vector<double>& grad, const ModelShape& shape) {
  check_finite_loss(loss);
  for (const ParameterTensor& t : parameter_tensors(shape))
    for (std::size_t i = 0; i < t.size(); ++i)
      if (!std::isfinite(grad[t.offset + i]))
        throw Error(ErrorKind::non_finite_state,
                    "the gradient of " + t.name + "[" + std::to_string(i) + "] is not finite");
}

}  // namespace cucnf::detail
