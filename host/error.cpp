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

namespace {

// what() is a C string on one line: NUL bytes (which would cut it) and line breaks are escaped.
std::string one_line(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    if (c == '\0')
      out += "\\0";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  return out;
}

}  // namespace

Error::Error(ErrorKind kind, const std::string& message)
    : std::runtime_error(one_line(message)), kind_(kind) {}

}  // namespace cucnf
