#include "cucnf/error.hpp"

namespace cucnf {

const char* error_kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return "invalid_argument";
    case ErrorKind::model_format:
      return "model_format";
    case ErrorKind::io:
      return "io";
    case ErrorKind::step_size_underflow:
      return "step_size_underflow";
    case ErrorKind::max_steps_exceeded:
      return "max_steps_exceeded";
    case ErrorKind::non_finite_state:
      return "non_finite_state";
    case ErrorKind::cuda_unavailable:
      return "cuda_unavailable";
    case ErrorKind::cuda_failure:
      return "cuda_failure";
    case ErrorKind::out_of_memory:
      return "out_of_memory";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, const std::string& message)
    : std::runtime_error(message), kind_(kind) {}

}  // namespace cucnf
