// Sizes computed from caller-given counts: checked for overflow before anything is allocated,
// and allocation failures turned into a cucnf::Error that names what was asked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <new>
#include <string>

#include "cucnf/error.hpp"

namespace cucnf::detail {

/// The number of float64 values in n items of `per_item` values each. Throws
/// Error(invalid_argument) "too many <what>" when that cannot be addressed at all.
inline std::size_t checked_values(std::size_t n, std::size_t per_item, const std::string& what) {
  constexpr std::size_t kMaxValues = std::size_t(PTRDIFF_MAX) / sizeof(double);
  if (per_item != 0 && n > kMaxValues / per_item)
    throw Error(ErrorKind::invalid_argument, "too many " + what + ": " + std::to_string(n) + " x " +
                                                 std::to_string(per_item) +
                                                 " values exceed the address space");
  return n * per_item;
}

/// "<n> <what> (<bytes> GiB)": a description of a request for messages.
inline std::string describe_request(std::size_t n, const std::string& what, std::size_t bytes) {
  char size[64];
  std::snprintf(size, sizeof size, "%.1f GiB", double(bytes) / double(std::size_t(1) << 30));
  return std::to_string(n) + " " + what + " (" + size + " per array)";
}

/// Runs fn; a std::bad_alloc inside becomes Error(out_of_memory) naming n items of `what`,
/// each of `per_item` float64 values.
template <class Fn>
auto with_memory_check(std::size_t n, std::size_t per_item, const std::string& what, Fn&& fn)
    -> decltype(fn()) {
  const std::size_t values = checked_values(n, per_item, what);
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    throw Error(ErrorKind::out_of_memory,
                "cannot allocate memory for " + describe_request(n, what, values * sizeof(double)));
  }
}

}  // namespace cucnf::detail
