// The tanh-planar CNF model: its sizes, its hypernetwork parameters and its file format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cucnf/export.hpp"

namespace cucnf {

/// The size limit of a model: at most 2^24 in each of D, K, H and at most 2^26 parameters in all
/// (512 MiB as float64). Larger shapes are rejected (Error(invalid_argument), or
/// Error(model_format) from a file) before anything is allocated for them.
inline constexpr int kMaxModelSize = 1 << 24;
inline constexpr std::size_t kMaxParameterCount = std::size_t(1) << 26;

/// Sizes of a model: state dimension D, planar width K, hypernetwork hidden width H (all >= 1).
struct CUCNF_API ModelShape {
  int dim = 2;      ///< D
  int width = 64;   ///< K
  int hidden = 32;  ///< H

  /// Length of the hypernetwork output p = [W (K x D), U (K x D), G (K x D), B (K)]: 3KD + K.
  std::size_t hyper_outputs() const {
    return 3 * static_cast<std::size_t>(width) * dim + static_cast<std::size_t>(width);
  }
  /// Total number of trainable parameters (fc1, fc2, fc3 weights and biases).
  std::size_t parameter_count() const;
  friend bool operator==(const ModelShape& a, const ModelShape& b) {
    return a.dim == b.dim && a.width == b.width && a.hidden == b.hidden;
  }
};

/// One parameter tensor inside the flat parameter vector, in PyTorch nn.Linear layout
/// (weight is rows = out x cols = in, row-major; bias is rows = out, cols = 1).
struct ParameterTensor {
  std::string name;  ///< "fc1.weight", "fc1.bias", ..., "fc3.bias"
  std::size_t offset;
  std::size_t rows;
  std::size_t cols;
  std::size_t size() const { return rows * cols; }
};

/// The six tensors of a shape, in file and vector order: fc1.weight (H x 1), fc1.bias (H),
/// fc2.weight (H x H), fc2.bias (H), fc3.weight (P x H), fc3.bias (P), with P = 3KD + K.
/// Throws Error(invalid_argument) for a shape beyond the size limit (kMaxParameterCount).
CUCNF_API std::vector<ParameterTensor> parameter_tensors(const ModelShape& shape);

/// A parameter-layout vector (a model's parameters, a gradient, Adam's moments) as the JSON
/// object of the model file's "params": {"fc1.weight": [[...], ...], "fc1.bias": [...], ...},
/// weights as lists of rows. Values round-trip exactly.
CUCNF_API std::string parameters_to_json(const ModelShape& shape,
                                         const std::vector<double>& values);
/// Reads such an object back into a vector of shape.parameter_count() values. Throws
/// Error(model_format) naming the tensor that is missing or has the wrong size, or the value
/// that is not a number.
CUCNF_API std::vector<double> parameters_from_json(const ModelShape& shape,
                                                   const std::string& json_object);

/// A CNF model: shape, integration interval [t0, t1], base variance sigma^2 and the flat
/// parameter vector (float64, the concatenation of parameter_tensors(shape)).
///
/// The model file is JSON in the layout of the PyTorch reference: {"model": {"dim", "width",
/// "hidden"}, "t0", "t1", "base_variance", "params": {"fc1.weight": [[...]], ...}}. Unknown keys
/// are ignored on load. Values round-trip exactly (shortest round-trip decimal form).
///
/// Thread-safety: a Model is a value; const access from several threads is safe.
class CUCNF_API Model {
 public:
  /// Builds a model and validates it. Throws Error(invalid_argument) when a size is < 1, when
  /// params.size() != shape.parameter_count(), t0 == t1, base_variance <= 0, or any value is
  /// not finite.
  Model(ModelShape shape, double t0, double t1, double base_variance, std::vector<double> params);

  /// PyTorch-style initialisation: every weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
  /// drawn from a counter-based generator keyed by `seed` (same seed, same model, on any
  /// machine). Defaults are the seed's: t0 = 0, t1 = 10, base variance 0.1.
  static Model initialize(ModelShape shape, std::uint64_t seed, double t0 = 0.0, double t1 = 10.0,
                          double base_variance = 0.1);

  /// Reads a model file. Throws Error(io) if it cannot be read (or is a directory) and
  /// Error(model_format), naming the file and the offending key, if it is malformed, truncated
  /// or inconsistent. The shape is checked against the size limit, and every tensor's length
  /// against the shape, before the parameters are allocated: a file of n bytes never makes the
  /// loader allocate much more than n bytes.
  static Model load(const std::string& path);
  /// Parses model JSON text (the file format above). Throws Error(model_format).
  static Model from_json(const std::string& text);

  /// Serialises to the file format (params as nested lists, exact round trip).
  std::string to_json() const;
  /// Writes the model file atomically and durably: to "<path>.tmp.<pid>" first, synced, then
  /// rename(2) over `path` and the directory synced, so an interrupted save or a power loss
  /// leaves the old file or the new one. A symbolic link is followed (the link stays); a FIFO
  /// or device is written directly. Throws Error(io).
  void save(const std::string& path) const;

  /// The sizes D, K, H.
  const ModelShape& shape() const { return shape_; }
  /// Time of the base distribution N(0, s^2 I) (the density direction ends here).
  double t0() const { return t0_; }
  /// Time of the data (sampling ends here). t1 < t0 is allowed: the solves follow the sign.
  double t1() const { return t1_; }
  /// s^2, the variance of every coordinate of the base distribution.
  double base_variance() const { return base_variance_; }
  /// The parameters: parameter_count() float64 values in the order of parameter_tensors().
  const std::vector<double>& params() const { return params_; }

  /// Replaces the parameter vector (same length, all finite) or throws Error(invalid_argument).
  void set_params(std::vector<double> params);

 private:
  ModelShape shape_;
  double t0_;
  double t1_;
  double base_variance_;
  std::vector<double> params_;
};

/// n draws z0 ~ N(0, s^2 I) of the model's base distribution (n x D row-major), from a
/// counter-based generator keyed by `seed`: the points Flow::sample starts from.
CUCNF_API std::vector<double> base_samples(const Model& model, std::size_t n, std::uint64_t seed);

}  // namespace cucnf
