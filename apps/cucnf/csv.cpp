#include "csv.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cucnf/error.hpp"
#include "files.hpp"

namespace cucnf::cli {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

bool parse_number(const std::string& text, double& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

// A header names columns: no cell of it is a number. ("1.0.0,2" is a bad row, not a header.)
bool is_header(const std::vector<std::string>& cells) {
  double probe;
  for (const std::string& cell : cells)
    if (parse_number(cell, probe)) return false;
  return true;
}

const std::string kByteOrderMark = "\xEF\xBB\xBF";

[[noreturn]] void bad_input(const std::string& where, const std::string& what) {
  throw Error(ErrorKind::invalid_argument, where + ": " + what);
}

}  // namespace

Points read_points(const std::string& path, int dim, const std::string& columns_meaning) {
  if (path == "-") return parse_points(std::cin, path, dim, columns_meaning);
  std::ifstream file(path);
  if (!file) throw Error(ErrorKind::io, "cannot open '" + path + "': " + std::strerror(errno));
  return parse_points(file, path, dim, columns_meaning);
}

Points parse_points(std::istream& input, const std::string& path, int dim,
                    const std::string& columns_meaning) {
  std::istream* in = &input;
  Points points;
  std::string line;
  std::size_t line_no = 0;
  bool first_data_line = true;
  while (std::getline(*in, line)) {
    ++line_no;
    if (line_no == 1 && line.rfind(kByteOrderMark, 0) == 0) line.erase(0, kByteOrderMark.size());
    const std::string content = trim(line);
    if (content.empty() || content[0] == '#') continue;
    const std::vector<std::string> cells = split(content);
    if (first_data_line && is_header(cells)) {
      first_data_line = false;
      continue;
    }
    first_data_line = false;
    const std::string where = path + ":" + std::to_string(line_no);
    if (int(cells.size()) != dim)
      bad_input(where, "expected " + std::to_string(dim) + " comma-separated values (" +
                           columns_meaning + "), found " + std::to_string(cells.size()));
    for (int j = 0; j < dim; ++j) {
      double v;
      if (!parse_number(cells[j], v))
        bad_input(where, "column " + std::to_string(j + 1) + " ('" + trim(cells[j]) +
                             "') is not a number");
      if (!std::isfinite(v)) bad_input(where, "column " + std::to_string(j + 1) + " is not finite");
      points.values.push_back(v);
    }
    ++points.rows;
  }
  if (in->bad()) throw Error(ErrorKind::io, "error reading '" + path + "'");
  if (points.rows == 0) bad_input(path, "no points found");
  return points;
}

void write_table(const std::string& path, const std::vector<std::string>& header,
                 const std::vector<std::vector<double>>& columns) {
  std::string text;
  for (std::size_t c = 0; c < header.size(); ++c) text += (c ? "," : "") + header[c];
  text += '\n';
  const std::size_t rows = columns.empty() ? 0 : columns[0].size();
  char buffer[32];
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      std::snprintf(buffer, sizeof buffer, "%.17g", columns[c][r]);
      if (c) text += ',';
      text += buffer;
    }
    text += '\n';
  }
  write_text(path, text);
}

}  // namespace cucnf::cli
