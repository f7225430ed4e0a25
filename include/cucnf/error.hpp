// The one exception type thrown across the cucnf API.
#pragma once

#include <stdexcept>
#include <string>

#include "cucnf/export.hpp"

namespace cucnf {

/// What kind of failure an Error reports, for callers that branch on it.
enum class ErrorKind {
  invalid_argument,     ///< bad shapes, sizes, options or non-finite inputs
  model_format,         ///< a model file that is malformed, truncated or inconsistent
  io,                   ///< a file that cannot be read or written
  step_size_underflow,  ///< the adaptive step became too small to advance time
  max_steps_exceeded,   ///< a solve needed more step attempts than max_num_steps
  non_finite_state,     ///< the state or its derivative became NaN or infinite during a solve
  cuda_unavailable,     ///< CUDA was asked for but no usable GPU is present
  cuda_failure,         ///< a CUDA runtime or cuBLAS call failed
  out_of_memory,        ///< host memory for the requested sizes could not be allocated
};

/// Returns a stable lower-case name for an ErrorKind ("step_size_underflow", ...).
CUCNF_API const char* error_kind_name(ErrorKind kind) noexcept;

/// Every failure inside cucnf surfaces as this exception. what() is one line a user can act on.
class CUCNF_API Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message);
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace cucnf
