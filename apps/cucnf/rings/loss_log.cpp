#include "loss_log.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "csv.hpp"
#include "cucnf/error.hpp"

namespace cucnf::cli {
namespace {

constexpr double kMomentum = 0.97;
constexpr double kMaxCount = 1e15;
const std::vector<std::string> kColumns = {"iteration",         "loss",
                                           "running_loss",      "nfe_forward",
                                           "nfe_backward",      "accepted_forward",
                                           "rejected_forward",  "accepted_backward",
                                           "rejected_backward", "seconds"};

}  // namespace

// The running average is m_t / (1 - 0.97^t) with m_t = 0.97 m_{t-1} + 0.03 loss_t, m_0 = 0:
// an exponential average whose start is not dragged by the huge first losses (Adam's bias
// correction). m_t is recovered from the stored average when a run resumes.
double LossLog::add(const IterationReport& r) {
  LossRow row;
  row.iteration = r.iteration;
  row.loss = r.loss;
  const double previous =
      rows_.empty()
          ? 0.0
          : rows_.back().running_loss * (1.0 - std::pow(kMomentum, double(rows_.back().iteration)));
  const double average = kMomentum * previous + (1 - kMomentum) * r.loss;
  row.running_loss = average / (1.0 - std::pow(kMomentum, double(r.iteration)));
  row.forward = r.forward;
  row.backward = r.backward;
  row.seconds = r.seconds;
  rows_.push_back(row);
  return row.running_loss;
}

void LossLog::write_csv(const std::string& path) const {
  std::vector<std::vector<double>> columns(kColumns.size());
  for (const LossRow& r : rows_) {
    const double values[] = {double(r.iteration),
                             r.loss,
                             r.running_loss,
                             double(r.forward.nfe),
                             double(r.backward.nfe),
                             double(r.forward.accepted),
                             double(r.forward.rejected),
                             double(r.backward.accepted),
                             double(r.backward.rejected),
                             r.seconds};
    for (std::size_t c = 0; c < kColumns.size(); ++c) columns[c].push_back(values[c]);
  }
  write_table(path, kColumns, columns);
}

void LossLog::read_csv(const std::string& path, std::int64_t last) {
  std::ifstream in(path);
  if (!in) return;
  const Points table = read_points(path, int(kColumns.size()), "the columns of loss.csv");
  rows_.clear();
  for (std::size_t i = 0; i < table.rows; ++i) {
    const double* v = &table.values[i * kColumns.size()];
    // Counts must be whole and in range before they are converted (1e30 would be undefined).
    for (std::size_t c : {0, 3, 4, 5, 6, 7, 8})
      if (!(v[c] >= 0 && v[c] <= kMaxCount && v[c] == std::floor(v[c])))
        throw Error(ErrorKind::invalid_argument, path + ": row " + std::to_string(i + 1) + ": " +
                                                     kColumns[c] +
                                                     " must be a whole number from 0 to 1e15");
    LossRow r;
    r.iteration = std::int64_t(v[0]);
    if (r.iteration > last) break;
    r.loss = v[1];
    r.running_loss = v[2];
    r.forward = {std::int64_t(v[3]), std::int64_t(v[5]), std::int64_t(v[6])};
    r.backward = {std::int64_t(v[4]), std::int64_t(v[7]), std::int64_t(v[8])};
    r.seconds = v[9];
    rows_.push_back(r);
  }
}

}  // namespace cucnf::cli
