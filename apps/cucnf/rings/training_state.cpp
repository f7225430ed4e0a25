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
    s.adam.m = parameters_from_json(c.model.shape(), adam.at("m").dump());
    s.adam.v = parameters_from_json(c.model.shape(), adam.at("v").dump());
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
