#include "training_state.hpp"

#include <fstream>
#include <sstream>

#include "files.hpp"
#include "json_out.hpp"

namespace cucnf::cli {

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
  Model::load(path);  // the I/O and model errors, naming the file
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return checkpoint_from_json(text.str());
  } catch (const Error& e) {
    throw Error(e.kind(), "model file '" + path + "': " + e.what());
  }
}

Checkpoint checkpoint_from_json(const std::string& text) {
  Checkpoint c{Model::from_json(text), std::nullopt};
  try {
    const nlohmann::json doc = nlohmann::json::parse(text);
    if (!doc.contains("training")) return c;
    const nlohmann::json& training = doc.at("training");
    TrainingState s;
    const nlohmann::json& adam = training.at("adam");
    const nlohmann::json& step = adam.at("step");
    if (!step.is_number_integer() || step.get<long double>() < 0 || step.get<long double>() > 1e12)
      throw Error(ErrorKind::model_format,
                  "training.adam.step must be a whole number from 0 to 1e12, got " + step.dump());
    s.adam.step = step.get<std::int64_t>();
    s.adam.m = parameters_from_json(c.model.shape(), adam.at("m").dump());
    s.adam.v = parameters_from_json(c.model.shape(), adam.at("v").dump());
    if (training.contains("settings")) s.settings = training.at("settings");
    c.state = std::move(s);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::model_format, std::string("unreadable training section: ") + e.what());
  }
  return c;
}

}  // namespace cucnf::cli
