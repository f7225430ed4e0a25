// Adam with PyTorch's semantics (torch.optim.Adam, no weight decay, no amsgrad), one element at
// a time, for the host and the device.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/hd.hpp"

namespace cucnf::detail {

/// The per-step scalars: step_size = lr / (1 - beta1^t), bias2_sqrt = sqrt(1 - beta2^t).
struct AdamStep {
  double beta1, beta2, eps, step_size, bias2_sqrt;
};

inline AdamStep adam_step(double lr, double beta1, double beta2, double eps, std::int64_t t) {
  const double bias1 = 1.0 - std::pow(beta1, double(t));
  const double bias2 = 1.0 - std::pow(beta2, double(t));
  return {beta1, beta2, eps, lr / bias1, std::sqrt(bias2)};
}

/// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
/// theta -= step_size * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
template <class Real>
CUCNF_HD inline void adam_update(Real& theta, Real& m, Real& v, Real g, const AdamStep& s) {
  m = Real(s.beta1) * m + Real(1.0 - s.beta1) * g;
  v = Real(s.beta2) * v + Real(1.0 - s.beta2) * g * g;
  const Real denom = sqrt(v) / Real(s.bias2_sqrt) + Real(s.eps);
  theta -= Real(s.step_size) * m / denom;
}

}  // namespace cucnf::detail
