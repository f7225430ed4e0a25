#include "json_out.hpp"

namespace cucnf::cli {

nlohmann::json parameters_json(const ModelShape& shape, const std::vector<double>& values) {
  return nlohmann::json::parse(parameters_to_json(shape, values));
}

nlohmann::json stats_json(const SolveStats& stats) {
  return {{"nfe", stats.nfe}, {"accepted", stats.accepted}, {"rejected", stats.rejected}};
}

}  // namespace cucnf::cli
