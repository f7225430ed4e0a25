// Checking every CUDA call: failures become cucnf::Error(cuda_failure) naming the
// call site and the runtime's message.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "cucnf/error.hpp"

namespace cucnf::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* what, const char* file,
                                          int line) {
  throw Error(ErrorKind::cuda_failure, std::string(what) + " failed at " + file + ":" +
                                           std::to_string(line) + ": " + cudaGetErrorName(status) +
                                           " (" + cudaGetErrorString(status) + ")");
}

}  // namespace cucnf::detail

#define CUCNF_CUDA_CHECK(call)                                                     \
  do {                                                                             \
    const cudaError_t cucnf_status_ = (call);                                      \
    if (cucnf_status_ != cudaSuccess)                                              \
      ::cucnf::detail::throw_cuda_error(cucnf_status_, #call, __FILE__, __LINE__); \
  } while (0)
