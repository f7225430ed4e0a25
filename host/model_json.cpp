// The model file: JSON in the PyTorch reference's layout, read and written exactly.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cucnf/error.hpp"
#include "cucnf/model.hpp"
#include "io/durable_file.hpp"

namespace cucnf {
namespace {

using nlohmann::json;

[[noreturn]] void format_error(const std::string& message) {
  throw Error(ErrorKind::model_format, message);
}

const json& member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object()) format_error(where + " must be a JSON object");
  const auto it = object.find(key);
  if (it == object.end())
    format_error("missing key \"" + where + (where.empty() ? "" : ".") + key + "\"");
  return *it;
}

double number(const json& value, const std::string& name) {
  if (!value.is_number()) format_error("\"" + name + "\" must be a number");
  return value.get<double>();
}

int positive_int(const json& value, const std::string& name) {
  if (!value.is_number_integer() || value.get<long long>() < 1)
    format_error("\"" + name + "\" must be an integer >= 1");
  if (value.get<long long>() > kMaxModelSize)
    format_error("\"" + name + "\" is " + value.dump() + ": model too large, the limit is " +
                 std::to_string(kMaxModelSize));
  return value.get<int>();
}

bool is_weight(const ParameterTensor& t) {
  return t.name.find("weight") != std::string::npos;
}

// Checks that a tensor is present with rows x cols entries (a list of rows for a weight, a flat
// list for a bias) without reading its values.
const json& checked_tensor(const json& params, const ParameterTensor& t) {
  const json& value = member(params, t.name.c_str(), "params");
  const std::string name = "params." + t.name;
  if (!value.is_array() || value.size() != t.rows)
    format_error("\"" + name + "\" must be a list of " + std::to_string(t.rows) +
                 (is_weight(t) ? " rows" : " numbers") + ", got " +
                 (value.is_array() ? std::to_string(value.size()) + " entries" : "no list"));
  if (is_weight(t))
    for (std::size_t r = 0; r < t.rows; ++r)
      if (!value[r].is_array() || value[r].size() != t.cols)
        format_error("\"" + name + "\" row " + std::to_string(r) + " must hold " +
                     std::to_string(t.cols) + " numbers");
  return value;
}

void read_tensor(const json& value, const ParameterTensor& t, std::vector<double>& out) {
  const std::string name = "params." + t.name;
  for (std::size_t r = 0; r < t.rows; ++r) {
    if (is_weight(t)) {
      for (std::size_t c = 0; c < t.cols; ++c)
        out[t.offset + r * t.cols + c] =
            number(value[r][c], name + "[" + std::to_string(r) + "][" + std::to_string(c) + "]");
    } else {
      out[t.offset + r] = number(value[r], name + "[" + std::to_string(r) + "]");
    }
  }
}

// The parameter vector of a "params" object: every tensor's size is checked against the shape
// before the vector is allocated, so the allocation never exceeds what the JSON holds.
std::vector<double> read_params(const ModelShape& shape, const json& params) {
  std::vector<ParameterTensor> tensors;
  try {
    tensors = parameter_tensors(shape);
  } catch (const Error& e) {
    format_error(e.what());
  }
  std::vector<const json*> values;
  for (const ParameterTensor& t : tensors) values.push_back(&checked_tensor(params, t));
  std::vector<double> out(shape.parameter_count());
  for (std::size_t i = 0; i < tensors.size(); ++i) read_tensor(*values[i], tensors[i], out);
  return out;
}

json write_tensor(const std::vector<double>& params, const ParameterTensor& t) {
  json value = json::array();
  const bool is_weight = t.name.find("weight") != std::string::npos;
  for (std::size_t r = 0; r < t.rows; ++r) {
    if (is_weight) {
      json row = json::array();
      for (std::size_t c = 0; c < t.cols; ++c) row.push_back(params[t.offset + r * t.cols + c]);
      value.push_back(std::move(row));
    } else {
      value.push_back(params[t.offset + r]);
    }
  }
  return value;
}

json params_object(const ModelShape& shape, const std::vector<double>& values) {
  json params = json::object();
  for (const ParameterTensor& t : parameter_tensors(shape))
    params[t.name] = write_tensor(values, t);
  return params;
}

}  // namespace

std::string parameters_to_json(const ModelShape& shape, const std::vector<double>& values) {
  if (values.size() != shape.parameter_count())
    throw Error(ErrorKind::invalid_argument, "expected " + std::to_string(shape.parameter_count()) +
                                                 " values, got " + std::to_string(values.size()));
  return params_object(shape, values).dump();
}

std::vector<double> parameters_from_json(const ModelShape& shape, const std::string& json_object) {
  json params;
  try {
    params = json::parse(json_object);
  } catch (const json::exception& e) {
    format_error(std::string("malformed parameters JSON: ") + e.what());
  }
  return read_params(shape, params);
}

Model Model::from_json(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    format_error(std::string("malformed or truncated JSON: ") + e.what());
  } catch (const json::exception& e) {  // e.g. a number beyond the float64 range
    format_error(std::string("unreadable JSON value: ") + e.what());
  }
  if (!doc.is_object()) format_error("the model file must hold a JSON object");
  const json& shape_json = member(doc, "model", "");
  ModelShape shape;
  shape.dim = positive_int(member(shape_json, "dim", "model"), "model.dim");
  shape.width = positive_int(member(shape_json, "width", "model"), "model.width");
  shape.hidden = positive_int(member(shape_json, "hidden", "model"), "model.hidden");
  const double t0 = number(member(doc, "t0", ""), "t0");
  const double t1 = number(member(doc, "t1", ""), "t1");
  const double variance = number(member(doc, "base_variance", ""), "base_variance");
  std::vector<double> params = read_params(shape, member(doc, "params", ""));
  try {
    return Model(shape, t0, t1, variance, std::move(params));
  } catch (const Error& e) {
    format_error(e.what());
  }
}

Model Model::load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw Error(ErrorKind::io, "cannot read model file '" + path + "': it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(ErrorKind::io, "cannot open model file '" + path + "': " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(ErrorKind::io, "cannot read model file '" + path + "'");
  try {
    return from_json(text.str());
  } catch (const Error& e) {
    throw Error(e.kind(), "model file '" + path + "': " + e.what());
  }
}

std::string Model::to_json() const {
  json doc;
  doc["model"] = {{"dim", shape_.dim}, {"width", shape_.width}, {"hidden", shape_.hidden}};
  doc["t0"] = t0_;
  doc["t1"] = t1_;
  doc["base_variance"] = base_variance_;
  doc["params"] = params_object(shape_, params_);
  doc["param_layout"] =
      "PyTorch nn.Linear: fc.weight is (out, in), fc.bias is (out); fc3 output = [W (K x D), "
      "U (K x D), G (K x D), B (K)], U~ = U * sigmoid(G)";
  return doc.dump() + "\n";
}

void Model::save(const std::string& path) const {
  detail::write_file_durably(path, to_json());
}

}  // namespace cucnf
