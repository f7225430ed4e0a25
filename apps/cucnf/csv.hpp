// CSV input and output of points for the command-line program.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace cucnf::cli {

/// Points read from a CSV file: rows of `dim` numbers, comma-separated. A first line with no
/// numeric cell is taken as a header and skipped (one with any number is data, and checked); a
/// UTF-8 byte-order mark at the start is skipped; blank lines and lines starting with '#' are
/// ignored. "-" reads standard input. Throws cucnf::Error naming the file, line and column of
/// the first bad value (wrong count, not a number, not finite).
struct Points {
  std::vector<double> values;  ///< rows x dim, row-major
  std::size_t rows = 0;
};
/// `columns_meaning` names where the column count comes from, for the error message.
Points read_points(const std::string& path, int dim,
                   const std::string& columns_meaning = "the model's dimension");

/// The same from a stream; `path` names it in messages.
Points parse_points(std::istream& in, const std::string& path, int dim,
                    const std::string& columns_meaning = "the model's dimension");

/// Writes rows of columns with a header line, each value in the shortest form that reads back
/// exactly ("%.17g"). "-" writes standard output. The file is written atomically.
void write_table(const std::string& path, const std::vector<std::string>& header,
                 const std::vector<std::vector<double>>& columns);

}  // namespace cucnf::cli
