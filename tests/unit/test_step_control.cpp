#include <gtest/gtest.h>

#include <cmath>

#include "core/step_control.hpp"

using namespace cucnf::detail;

namespace {

ControlParams adaptive_params(int order = 2) {
  ControlParams p;
  p.adaptive = true;
  p.fsal = true;
  p.order = order;
  p.evals_per_attempt = 2;
  p.max_attempts = 100;
  return p;
}

StepControl running(double t, double h, double t_end) {
  StepControl c;
  c.t = t;
  c.h = h;
  c.t_end = t_end;
  c.dir = t_end > t ? 1.0 : -1.0;
  return c;
}

}  // namespace

// torchdiffeq's _optimal_step_size: ratio 0 -> ifactor; dfactor 1 after ratio < 1.
TEST(StepControl, StepFactorMatchesTorchdiffeq) {
  const ControlParams p = adaptive_params(2);
  EXPECT_EQ(step_factor(0.0, p), 10.0);
  EXPECT_DOUBLE_EQ(step_factor(0.25, p), std::fmin(10.0, 0.9 / std::sqrt(0.25)));
  EXPECT_DOUBLE_EQ(step_factor(0.95, p), 1.0);  // 0.9/sqrt(0.95) < 1 -> clipped at dfactor 1
  EXPECT_DOUBLE_EQ(step_factor(4.0, p), 0.45);
  EXPECT_DOUBLE_EQ(step_factor(1e6, p), 0.2);  // shrink clipped at dfactor
  EXPECT_DOUBLE_EQ(step_factor(1e-8, p), 10.0);
}

TEST(StepControl, AcceptAdvancesAndSwapsBuffers) {
  const ControlParams p = adaptive_params();
  StepControl c = running(10.0, 0.5, 0.0);
  control_update(c, p, 0.25);
  EXPECT_EQ(c.status, kRunning);
  EXPECT_DOUBLE_EQ(c.t, 9.5);
  EXPECT_EQ(c.buf, 1);
  EXPECT_EQ(c.k0_slot, 1);
  EXPECT_EQ(c.accepted, 1);
  EXPECT_EQ(c.rejected, 0);
  EXPECT_EQ(c.nfe, 2);
  EXPECT_DOUBLE_EQ(c.h, 0.5 * 0.9 / std::sqrt(0.25));
  EXPECT_DOUBLE_EQ(c.last_dt, -0.5);
}

TEST(StepControl, RejectKeepsStateAndShrinks) {
  const ControlParams p = adaptive_params();
  StepControl c = running(0.0, 1.0, 10.0);
  control_update(c, p, 4.0);
  EXPECT_EQ(c.status, kRunning);
  EXPECT_EQ(c.t, 0.0);
  EXPECT_EQ(c.buf, 0);
  EXPECT_EQ(c.k0_slot, 0);
  EXPECT_EQ(c.rejected, 1);
  EXPECT_DOUBLE_EQ(c.h, 0.45);
}

TEST(StepControl, LastStepLandsExactlyOnTheEnd) {
  const ControlParams p = adaptive_params();
  StepControl c = running(0.1, 5.0, 0.3);
  const StepGeometry g = step_geometry(c);
  EXPECT_EQ(g.t_new, 0.3);  // exact, not 0.1 + 0.2
  control_update(c, p, 0.5);
  EXPECT_EQ(c.status, kSegmentDone);
  EXPECT_EQ(c.t, 0.3);
  begin_segment(c, 0.7);
  EXPECT_EQ(c.status, kRunning);
  EXPECT_EQ(c.t_end, 0.7);
}

TEST(StepControl, StageTimeAtCOneIsTheStepEnd) {
  StepControl c = running(1.0, 0.1, 2.0);
  const StepGeometry g = step_geometry(c);
  EXPECT_EQ(stage_time(c, g, 1.0), g.t_new);
  EXPECT_DOUBLE_EQ(stage_time(c, g, 0.5), 1.05);
}

TEST(StepControl, FixedStepAlwaysAccepts) {
  ControlParams p;
  p.adaptive = false;
  p.evals_per_attempt = 4;
  p.max_attempts = 100;
  StepControl c = running(0.0, 0.25, 1.0);
  for (int i = 0; i < 3; ++i) control_update(c, p, 0.0);
  EXPECT_EQ(c.accepted, 3);
  EXPECT_EQ(c.h, 0.25);
  EXPECT_EQ(c.nfe, 12);
  control_update(c, p, 0.0);
  EXPECT_EQ(c.status, kSegmentDone);
}

TEST(StepControl, NonFiniteRatioStopsTheSolve) {
  const ControlParams p = adaptive_params();
  StepControl c = running(0.0, 0.1, 1.0);
  control_update(c, p, NAN);
  EXPECT_EQ(c.status, kNonFinite);
  StepControl d = running(0.0, 0.1, 1.0);
  control_update(d, p, NAN);
  EXPECT_EQ(d.status, kNonFinite);
  const long long attempts = d.accepted + d.rejected;
  control_update(d, p, 0.1);  // a stopped solve stays stopped
  EXPECT_EQ(d.accepted + d.rejected, attempts);
}

TEST(StepControl, InfiniteRatioIsAHardRejection) {
  const ControlParams p = adaptive_params();
  StepControl c = running(0.0, 0.5, 1.0);
  control_update(c, p, INFINITY);
  EXPECT_EQ(c.status, kRunning);
  EXPECT_EQ(c.rejected, 1);
  EXPECT_DOUBLE_EQ(c.h, 0.1);
}

TEST(StepControl, UnderflowWhenTheStepNoLongerMovesTime) {
  const ControlParams p = adaptive_params();
  StepControl c = running(1.0, 1e-10, 2.0);
  control_update(c, p, 1e12);  // h -> 2e-11, still moves t
  EXPECT_EQ(c.status, kRunning);
  c.h = 1e-17;
  check_next_attempt(c);
  EXPECT_EQ(c.status, kUnderflow);
}

TEST(StepControl, MaxAttemptsCountsRejections) {
  ControlParams p = adaptive_params();
  p.max_attempts = 3;
  StepControl c = running(0.0, 1.0, 100.0);
  control_update(c, p, 2.0);
  control_update(c, p, 2.0);
  EXPECT_EQ(c.status, kRunning);
  control_update(c, p, 0.5);
  EXPECT_EQ(c.status, kMaxSteps);
}

TEST(StepControl, MinStepOnlyTripsOnRejection) {
  ControlParams p = adaptive_params();
  p.min_step = 0.1;
  StepControl c = running(0.0, 0.5, 0.06);  // a short clipped step is fine
  control_update(c, p, 0.5);
  EXPECT_EQ(c.status, kSegmentDone);
  StepControl d = running(0.0, 0.3, 1.0);
  control_update(d, p, 100.0);  // h -> 0.06 < min_step after a rejection
  EXPECT_EQ(d.status, kBelowMinStep);
}

TEST(StepControl, HairerHeuristicMatchesTorchdiffeq) {
  // d0, d1 tiny -> h0 = 1e-6; otherwise 0.01 d0/d1.
  EXPECT_EQ(hairer_h0(1e-6, 1.0), 1e-6);
  EXPECT_DOUBLE_EQ(hairer_h0(2.0, 4.0), 0.005);
  // h1 = (0.01 / max(d1, d2))^(1/order); h = min(100 h0, h1).
  EXPECT_DOUBLE_EQ(hairer_first_step(0.005, 4.0, 1.0, 2), std::fmin(0.5, std::sqrt(0.01 / 4.0)));
  EXPECT_DOUBLE_EQ(hairer_first_step(1e-3, 0.0, 0.0, 5), std::fmin(0.1, std::fmax(1e-6, 1e-6)));
  StepControl c = running(0.0, 0.0, 1.0);
  hairer_begin(c, 2.0, NAN);
  EXPECT_EQ(c.status, kNonFinite);
}

TEST(StepControl, FsalSlotsTrade) {
  EXPECT_EQ(stage_slot(0, 7, 0), 0);
  EXPECT_EQ(stage_slot(6, 7, 0), 6);
  EXPECT_EQ(stage_slot(0, 7, 1), 6);
  EXPECT_EQ(stage_slot(6, 7, 1), 0);
  EXPECT_EQ(stage_slot(3, 7, 1), 3);
  EXPECT_EQ(stage_slot(0, 1, 1), 0);
}
