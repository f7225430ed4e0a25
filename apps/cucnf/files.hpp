// Writing the program's output files.
#pragma once

#include <string>

namespace cucnf::cli {

/// Writes text to path atomically: a temporary file in the same directory, then rename(2), so
/// readers never see a half-written file. "-" writes standard output. Throws cucnf::Error(io),
/// also when standard output cannot be written (closed, a full disk).
void write_text(const std::string& path, const std::string& text);

}  // namespace cucnf::cli
