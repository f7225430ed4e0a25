// Fuzz target: the CSV reader of `cucnf logp` and `cucnf grad` (and of loss.csv on resume). The
// first byte chooses the number of columns (1 to 10), the rest is the file.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "csv.hpp"
#include "cucnf/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int dim = 1 + data[0] % 10;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    const cucnf::cli::Points p = cucnf::cli::parse_points(in, "fuzz.csv", dim);
    if (p.values.size() != p.rows * std::size_t(dim)) __builtin_trap();
  } catch (const cucnf::Error&) {
  }
  return 0;
}
