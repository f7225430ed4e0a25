// JSON output helpers of the command-line program.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cucnf/cucnf.hpp"

namespace cucnf::cli {

/// A parameter-layout vector as {"fc1.weight": [[...]], ...}: the model file's "params" layout.
nlohmann::json parameters_json(const ModelShape& shape, const std::vector<double>& values);
nlohmann::json stats_json(const SolveStats& stats);

}  // namespace cucnf::cli
