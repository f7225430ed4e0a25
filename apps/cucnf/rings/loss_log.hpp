// The per-iteration record of a training run (loss.csv).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cucnf/cucnf.hpp"

namespace cucnf::cli {

struct LossRow {
  std::int64_t iteration = 0;
  double loss = 0.0;
  double running_loss = 0.0;  ///< bias-corrected exponential moving average, momentum 0.97
  SolveStats forward, backward;
  double seconds = 0.0;
};

class LossLog {
 public:
  /// Appends an iteration; returns the running-average loss including it.
  double add(const IterationReport& report);
  const std::vector<LossRow>& rows() const { return rows_; }

  /// Writes loss.csv (atomically).
  void write_csv(const std::string& path) const;
  /// Reads the rows of an earlier run with iteration <= last (to resume it). A missing file
  /// gives no rows; a malformed one throws cucnf::Error.
  void read_csv(const std::string& path, std::int64_t last);

 private:
  std::vector<LossRow> rows_;
};

}  // namespace cucnf::cli
