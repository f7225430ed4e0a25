#include "json_out.hpp"

namespace cucnf::cli {

nlohmann::json parameters_json(const ModelShape& shape, const std::vector<double>& values) {
  nlohmann::json out = nlohmann::json::object();
  for (const ParameterTensor& t : parameter_tensors(shape)) {
    nlohmann::json tensor = nlohmann::json::array();
    const bool is_weight = t.name.find("weight") != std::string::npos;
    for (std::size_t r = 0; r < t.rows; ++r) {
      if (!is_weight) {
        tensor.push_back(values[t.offset + r]);
        continue;
      }
      nlohmann::json row = nlohmann::json::array();
      for (std::size_t c = 0; c < t.cols; ++c) row.push_back(values[t.offset + r * t.cols + c]);
      tensor.push_back(std::move(row));
    }
    out[t.name] = std::move(tensor);
  }
  return out;
}

nlohmann::json stats_json(const SolveStats& stats) {
  return {{"nfe", stats.nfe}, {"accepted", stats.accepted}, {"rejected", stats.rejected}};
}

}  // namespace cucnf::cli
