#include "training_state.hpp"

#include <fstream>
#include <sstream>

#include "files.hpp"
#include "json_out.hpp"

namespace cucnf::cli {
namespace {

std::vector<double> parameters_from_json(const ModelShape& shape, const nlohmann::json& j,
                                         const std::string& what) {
  std::vector<double> values(shape.parameter_count());
  for (const ParameterTensor& t : parameter_tensors(shape)) {
    const nlohmann::json& tensor = j.at(t.name);
    if (tensor.size() != t.rows)
      throw Error(ErrorKind::model_format, what + "." + t.name + " has the wrong size");
    for (std::size_t r = 0; r < t.rows; ++r) {
      if (t.cols == 1 && !tensor[r].is_array()) {
        values[t.offset + r] = tensor[r].get<double>();
        continue;
      }
      if (tensor[r].size() != t.cols)
        throw Error(ErrorKind::model_format, what + "." + t.name + " has the wrong size");
      for (std::size_t c = 0; c < t.cols; ++c)
        values[t.offset + r * t.cols + c] = tensor[r][c].get<double>();
    }
  }
  return values;
}

}  // namespace

void save_training_checkpoint(const std::string& path, const Model& model,
                              const TrainingState& state) {
  nlohmann::json doc = nlohmann::json::parse(model.to_json());
  doc["training"] = {{"iteration", state.adam.step},
                     {"adam",
                      {{"step", state.adam.step},
                       {"m", parameters_json(model.shape(), state.adam.m)},
                       {"v", parameters_json(model.shape(), state.adam.v)}}},
                     {"settings", state.settings}};
  write_text(path, doc.dump() + "\n");
}

Checkpoint load_training_checkpoint(const std::string& path) {
  Checkpoint c{Model::load(path), std::nullopt};
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    const nlohmann::json doc = nlohmann::json::parse(text.str());
    if (!doc.contains("training")) return c;
    const nlohmann::json& training = doc.at("training");
    TrainingState s;
    const nlohmann::json& adam = training.at("adam");
    s.adam.step = adam.at("step").get<std::int64_t>();
    s.adam.m = parameters_from_json(c.model.shape(), adam.at("m"), "training.adam.m");
    s.adam.v = parameters_from_json(c.model.shape(), adam.at("v"), "training.adam.v");
    if (training.contains("settings")) s.settings = training.at("settings");
    c.state = std::move(s);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::model_format,
                "model file '" + path + "': unreadable training section: " + e.what());
  } catch (const Error& e) {
    throw Error(ErrorKind::model_format, "model file '" + path + "': " + e.what());
  }
  return c;
}

}  // namespace cucnf::cli
