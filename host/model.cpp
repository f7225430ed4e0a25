// Model: sizes, parameter layout, validation and PyTorch-style initialisation.
#include "cucnf/model.hpp"

#include <cmath>
#include <string>

#include "core/param_layout.hpp"
#include "core/philox.hpp"
#include "cucnf/error.hpp"

namespace cucnf {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(ErrorKind::invalid_argument, message);
}

std::string describe(const ModelShape& s) {
  return "dim " + std::to_string(s.dim) + ", width " + std::to_string(s.width) + ", hidden " +
         std::to_string(s.hidden);
}

}  // namespace

namespace detail {

// The flat layout uses int offsets: the limit keeps every offset far inside them.
void validate_shape(const ModelShape& s) {
  require(s.dim >= 1 && s.width >= 1 && s.hidden >= 1,
          "model sizes must be >= 1 (" + describe(s) + ")");
  require(s.dim <= kMaxModelSize && s.width <= kMaxModelSize && s.hidden <= kMaxModelSize,
          "model too large (" + describe(s) + "): each size is limited to " +
              std::to_string(kMaxModelSize));
  const double count = 3.0 * s.hidden + double(s.hidden) * s.hidden +
                       (double(s.hidden) + 1) * (3.0 * s.width * s.dim + s.width);
  require(count <= double(kMaxParameterCount),
          "model too large (" + describe(s) + "): " + std::to_string(std::llround(count)) +
              " parameters, the limit is " + std::to_string(kMaxParameterCount));
}

}  // namespace detail

namespace {

void validate_params(const ModelShape& s, const std::vector<double>& params) {
  require(params.size() == s.parameter_count(),
          "expected " + std::to_string(s.parameter_count()) + " parameters for dim " +
              std::to_string(s.dim) + ", width " + std::to_string(s.width) + ", hidden " +
              std::to_string(s.hidden) + ", got " + std::to_string(params.size()));
  for (const ParameterTensor& t : parameter_tensors(s))
    for (std::size_t i = 0; i < t.size(); ++i)
      require(std::isfinite(params[t.offset + i]),
              "parameter " + t.name + "[" + std::to_string(i) + "] is not finite");
}

}  // namespace

using detail::validate_shape;

std::size_t ModelShape::parameter_count() const {
  const std::size_t h = hidden, p = hyper_outputs();
  return 3 * h + h * h + p * h + p;
}

std::vector<ParameterTensor> parameter_tensors(const ModelShape& shape) {
  validate_shape(shape);
  const detail::ParamLayout l = detail::make_param_layout(shape);
  const std::size_t h = shape.hidden, p = l.outputs;
  return {
      {"fc1.weight", std::size_t(l.fc1_w), h, 1}, {"fc1.bias", std::size_t(l.fc1_b), h, 1},
      {"fc2.weight", std::size_t(l.fc2_w), h, h}, {"fc2.bias", std::size_t(l.fc2_b), h, 1},
      {"fc3.weight", std::size_t(l.fc3_w), p, h}, {"fc3.bias", std::size_t(l.fc3_b), p, 1},
  };
}

Model::Model(ModelShape shape, double t0, double t1, double base_variance,
             std::vector<double> params)
    : shape_(shape), t0_(t0), t1_(t1), base_variance_(base_variance), params_(std::move(params)) {
  validate_shape(shape_);
  require(std::isfinite(t0_) && std::isfinite(t1_), "t0 and t1 must be finite");
  require(t0_ != t1_, "t0 and t1 must differ (both are " + std::to_string(t0_) + ")");
  require(std::isfinite(base_variance_) && base_variance_ > 0,
          "base_variance must be a finite number > 0");
  validate_params(shape_, params_);
}

Model Model::initialize(ModelShape shape, std::uint64_t seed, double t0, double t1,
                        double base_variance) {
  validate_shape(shape);
  std::vector<double> params(shape.parameter_count());
  const std::vector<ParameterTensor> tensors = parameter_tensors(shape);
  const double fan_in[3] = {1.0, double(shape.hidden), double(shape.hidden)};
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    const double bound = 1.0 / std::sqrt(fan_in[t / 2]);  // weight and bias of one layer
    for (std::size_t i = 0; i < tensors[t].size(); i += 2) {
      double u0, u1;
      detail::uniform2(seed, t, i / 2, u0, u1);
      params[tensors[t].offset + i] = (2.0 * u0 - 1.0) * bound;
      if (i + 1 < tensors[t].size()) params[tensors[t].offset + i + 1] = (2.0 * u1 - 1.0) * bound;
    }
  }
  return Model(shape, t0, t1, base_variance, std::move(params));
}

void Model::set_params(std::vector<double> params) {
  validate_params(shape_, params);
  params_ = std::move(params);
}

}  // namespace cucnf
