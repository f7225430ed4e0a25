// Offsets of the hypernetwork's tensors inside the flat parameter vector, and of W, U, G, B
// inside its output p. Plain data, usable in kernels.
#pragma once

#include <cstddef>

#include "core/hd.hpp"
#include "cucnf/model.hpp"

namespace cucnf::detail {

struct ParamLayout {
  int dim;      ///< D
  int width;    ///< K
  int hidden;   ///< H
  int outputs;  ///< P = 3KD + K
  // Offsets into the parameter vector (PyTorch nn.Linear layout, row-major weights).
  int fc1_w, fc1_b, fc2_w, fc2_b, fc3_w, fc3_b, total;
  // Offsets into p.
  int p_w, p_u, p_g, p_b;
};

/// Throws Error(invalid_argument) unless every size is in [1, kMaxModelSize] and the parameter
/// count is at most kMaxParameterCount, which keeps every offset below inside an int.
void validate_shape(const ModelShape& s);

/// The layout of a shape that passed validate_shape.
inline ParamLayout make_param_layout(const ModelShape& s) {
  ParamLayout l{};
  l.dim = s.dim;
  l.width = s.width;
  l.hidden = s.hidden;
  l.outputs = 3 * s.width * s.dim + s.width;
  const int h = s.hidden;
  l.fc1_w = 0;
  l.fc1_b = l.fc1_w + h;
  l.fc2_w = l.fc1_b + h;
  l.fc2_b = l.fc2_w + h * h;
  l.fc3_w = l.fc2_b + h;
  l.fc3_b = l.fc3_w + l.outputs * h;
  l.total = l.fc3_b + l.outputs;
  const int kd = s.width * s.dim;
  l.p_w = 0;
  l.p_u = kd;
  l.p_g = 2 * kd;
  l.p_b = 3 * kd;
  return l;
}

}  // namespace cucnf::detail
