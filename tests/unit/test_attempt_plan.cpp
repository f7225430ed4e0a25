// AttemptPlan: the CUDA backend's batches of step attempts between polls, as plain host logic.
#include <gtest/gtest.h>

#include "cuda/attempt_plan.hpp"

using namespace cucnf::detail;

namespace {

const int kMethod = 0;  // any address stands for a tableau

AttemptPlan::Key key(double rtol = 1e-5) {
  return {&kMethod, rtol, 1e-5, 0.0, 10.0, 0.0};
}

StepControl running(double t, double h, long long accepted, long long rejected) {
  StepControl c;
  c.t = t;
  c.t_end = 0.0;
  c.dir = -1.0;
  c.h = h;
  c.accepted = accepted;
  c.rejected = rejected;
  return c;
}

TEST(AttemptPlan, FirstSolveStartsWithTheFirstGuess) {
  AttemptPlan plan;
  plan.begin(key());
  EXPECT_EQ(plan.first_batch(0), AttemptPlan::kFirstGuess);
  EXPECT_EQ(plan.first_batch(3), AttemptPlan::kFirstGuess);
}

TEST(AttemptPlan, ALikeSolveQueuesWhatTheLastOneTookAndTheSpare) {
  AttemptPlan plan;
  plan.begin(key());
  plan.record(0, 37);
  plan.record(2, 5);
  plan.begin(key());
  EXPECT_EQ(plan.first_batch(0), 37 + AttemptPlan::kSpare);
  EXPECT_EQ(plan.first_batch(1), AttemptPlan::kFirstGuess);  // segment 1 not seen
  EXPECT_EQ(plan.first_batch(2), 5 + AttemptPlan::kSpare);
  plan.record(0, 100000);
  EXPECT_EQ(plan.first_batch(0), AttemptPlan::kMaxBatch);
}

TEST(AttemptPlan, OtherSettingsForgetTheHistory) {
  AttemptPlan plan;
  plan.begin(key());
  plan.record(0, 37);
  plan.begin(key(1e-8));
  EXPECT_EQ(plan.first_batch(0), AttemptPlan::kFirstGuess);
  plan.begin(key());  // the 1e-8 solve recorded nothing: still no history
  EXPECT_EQ(plan.first_batch(0), AttemptPlan::kFirstGuess);
}

TEST(AttemptPlan, AfterAShortBatchEnoughToFinishAtTheCurrentStepWithRejectionsAndMargin) {
  ASSERT_EQ(AttemptPlan::kRemainderFactor, 1.5);
  // 2.75 left at h = 0.5: 6 steps; 14 attempts for 10 accepted: 1.4 per step; 6 x 1.4 x 1.5 =
  // 12.6 -> 13, and the spare.
  EXPECT_EQ(AttemptPlan::next_batch(running(2.75, 0.5, 10, 4), 14), 13 + AttemptPlan::kSpare);
  // No rejections: 6 x 1.5 and the spare.
  EXPECT_EQ(AttemptPlan::next_batch(running(2.75, 0.5, 14, 0), 14), 9 + AttemptPlan::kSpare);
  // Nothing accepted yet: one attempt per step, 2 x 1.5.
  EXPECT_EQ(AttemptPlan::next_batch(running(1.0, 0.5, 0, 3), 3), 3 + AttemptPlan::kSpare);
}

TEST(AttemptPlan, LaterBatchesAtMostDoubleTheSegmentsAttempts) {
  // A tiny step far from the end (a first solve's first poll): the estimate is huge, the batch
  // grows with what the segment has taken, never past kMaxBatch.
  EXPECT_EQ(AttemptPlan::next_batch(running(10.0, 1e-4, 16, 0), 16), 16);
  EXPECT_EQ(AttemptPlan::next_batch(running(10.0, 1e-4, 40, 0), 40), 40);
  EXPECT_EQ(AttemptPlan::next_batch(running(10.0, 1e-4, 4000, 0), 4000), AttemptPlan::kMaxBatch);
  // A step size the controller would never keep while running takes the limit, not garbage.
  EXPECT_EQ(AttemptPlan::next_batch(running(10.0, 0.0, 20, 0), 20), 20);
}

}  // namespace
