// AttemptPlan: batch sizes of step attempts between polls (see attempt_plan.hpp).
#include "cuda/attempt_plan.hpp"

#include <algorithm>
#include <cmath>

namespace cucnf::detail {

void AttemptPlan::begin(const Key& key) {
  if (key == key_) return;
  key_ = key;
  attempts_.clear();
}

int AttemptPlan::first_batch(std::size_t segment) const {
  if (segment >= attempts_.size() || attempts_[segment] <= 0) return kFirstGuess;
  return int(std::min<long long>(attempts_[segment] + kSpare, kMaxBatch));
}

int AttemptPlan::next_batch(const StepControl& c, long long done) {
  // The steps left at the current step size, times the attempts per accepted step so far
  // (rejections) and kRemainderFactor, and the spare. The controller keeps h > 0 and finite
  // while it runs; anything else takes the limit.
  const double steps = std::ceil(std::fabs(c.t_end - c.t) / c.h);
  const double per_step =
      c.accepted > 0 ? double(c.accepted + c.rejected) / double(c.accepted) : 1.0;
  const double estimate = std::ceil(steps * per_step * kRemainderFactor) + kSpare;
  const double limit =
      double(std::min<long long>(std::max<long long>(kFirstGuess, done), kMaxBatch));
  if (!(estimate >= 1.0)) return int(limit);
  return int(std::min(estimate, limit));
}

void AttemptPlan::record(std::size_t segment, long long attempts) {
  if (attempts_.size() <= segment) attempts_.resize(segment + 1, 0);
  attempts_[segment] = attempts;
}

}  // namespace cucnf::detail
