// The demo's model.json: the library's model file plus an optional "training" section (the
// iteration, Adam's state and the run's settings) that --resume continues from.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cucnf/cucnf.hpp"

namespace cucnf::cli {

struct TrainingState {
  AdamState adam;           ///< adam.step is the number of iterations done
  nlohmann::json settings;  ///< the flags of the run, for the record
};

/// Writes the model with its training state, atomically (readers see the old or the new file).
void save_training_checkpoint(const std::string& path, const Model& model,
                              const TrainingState& state);

struct Checkpoint {
  Model model;
  std::optional<TrainingState> state;  ///< absent for a plain model file
};

/// Reads a model file, with its training state if it has one. Throws cucnf::Error.
Checkpoint load_training_checkpoint(const std::string& path);
/// The same from the file's text. Throws cucnf::Error(model_format) (a fuzz target's entry).
Checkpoint checkpoint_from_json(const std::string& text);

}  // namespace cucnf::cli
