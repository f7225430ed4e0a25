#include "core/integrate.hpp"

#include <cmath>
#include <sstream>

namespace cucnf::detail {
namespace {

std::string number(double v) {
  std::ostringstream s;
  s.precision(9);
  s << v;
  return s.str();
}

}  // namespace

void throw_solve_failure(const StepControl& c, const ControlParams& p, const std::string& label) {
  const std::string where = " at t = " + number(c.t) + " (h = " + number(c.h) + ")";
  switch (c.status) {
    case kUnderflow:
      throw Error(ErrorKind::step_size_underflow,
                  label + ": step size underflow" + where +
                      "; the tolerances may be too tight for the arithmetic, or the field stiff");
    case kBelowMinStep:
      throw Error(ErrorKind::step_size_underflow,
                  label + ": step size fell below min_step = " + number(p.min_step) + where);
    case kMaxSteps:
      throw Error(ErrorKind::max_steps_exceeded,
                  label + ": max_num_steps = " + std::to_string(p.max_attempts) +
                      " step attempts exceeded" + where +
                      "; loosen rtol/atol or raise max_num_steps");
    case kNonFinite:
      throw Error(ErrorKind::non_finite_state, label + ": non-finite state during the solve" +
                                                   where + " (last attempted step " +
                                                   number(c.last_dt) + ")");
    case kRecordFull:
      throw Error(ErrorKind::cuda_failure,
                  label + ": step " + std::to_string(c.accepted) +
                      " found the device's step record full" + where +
                      " (an internal error: the record was not grown in time)");
    default:
      throw Error(ErrorKind::invalid_argument,
                  label + ": solver stopped with unexpected status " + std::to_string(c.status));
  }
}

void validate_times(const std::vector<double>& times) {
  if (times.size() < 2)
    throw Error(ErrorKind::invalid_argument, "a solve needs at least two times (start and end)");
  for (double t : times)
    if (!std::isfinite(t)) throw Error(ErrorKind::invalid_argument, "solve times must be finite");
  const bool increasing = times[1] > times[0];
  for (std::size_t i = 1; i < times.size(); ++i) {
    const bool ok = increasing ? times[i] > times[i - 1] : times[i] < times[i - 1];
    if (!ok)
      throw Error(ErrorKind::invalid_argument,
                  "solve times must be strictly increasing or strictly decreasing (t" +
                      std::to_string(i - 1) + " = " + number(times[i - 1]) + ", t" +
                      std::to_string(i) + " = " + number(times[i]) + ")");
  }
}

}  // namespace cucnf::detail
