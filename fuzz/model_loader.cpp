// Fuzz target: the model file with its training section (Model::from_json, then the Adam state
// and settings --resume reads). Any exception but cucnf::Error, any sanitizer report, and any
// single allocation above scripts/fuzz.sh's -malloc_limit_mb is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cucnf/error.hpp"
#include "rings/training_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const cucnf::cli::Checkpoint c = cucnf::cli::checkpoint_from_json(text);
    (void)c.model.to_json();
  } catch (const cucnf::Error&) {
  }
  return 0;
}
