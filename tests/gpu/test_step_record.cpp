// The discrete adjoint's device step record: a step that finds the record full stops the solve
// with kRecordFull (reported by the host as a cucnf::Error) instead of being skipped silently.
// Skips without a GPU; runs on the emulated device in CI.
#include <gtest/gtest.h>

#include <vector>

#include "core/integrate.hpp"
#include "cucnf/device.hpp"
#include "cuda/device_buffer.hpp"
#include "discrete_adjoint.hpp"

namespace cucnf::detail {
namespace {

#define SKIP_WITHOUT_GPU() \
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

// Records the accepted step number `accepted` into a record of `capacity` slots; returns the
// controller afterwards and the recorded start state of slot accepted - 1 (if it fits).
StepControl record(long long accepted, int capacity, std::vector<float>* slot_state) {
  constexpr long long kState = 6;
  StepControl c;
  c.accepted = accepted;
  c.last_accepted = 1;
  c.buf = 1;  // the accepted step's start state is y[0]
  c.last_t = 2.0;
  c.t = 2.5;
  // New memory is poisoned on the legacy default stream, which the blocking copies below follow.
  const cudaStream_t legacy = nullptr;
  DeviceBuffer<StepControl> ctl(1, legacy);
  DeviceBuffer<float> y0(kState, legacy), y1(kState, legacy), states(kState * 4, legacy);
  DeviceBuffer<double> times(2 * 4, legacy);
  const std::vector<float> start = {1, 2, 3, 4, 5, 6};
  CUCNF_CUDA_CHECK(cudaMemcpy(ctl.data(), &c, sizeof c, cudaMemcpyHostToDevice));
  CUCNF_CUDA_CHECK(
      cudaMemcpy(y0.data(), start.data(), kState * sizeof(float), cudaMemcpyHostToDevice));
  float* const y[2] = {y0.data(), y1.data()};
  float* const fsal[2] = {nullptr, nullptr};
  const StepRecord<float> rec{states.data(), nullptr, times.data(), capacity};
  launch_record_step(ctl.data(), y, fsal, rec, kState, nullptr);
  CUCNF_CUDA_CHECK(cudaMemcpy(&c, ctl.data(), sizeof c, cudaMemcpyDeviceToHost));
  slot_state->assign(kState, 0.0f);
  if (accepted <= capacity)
    CUCNF_CUDA_CHECK(cudaMemcpy(slot_state->data(), states.data() + (accepted - 1) * kState,
                                kState * sizeof(float), cudaMemcpyDeviceToHost));
  return c;
}

TEST(DeviceStepRecord, RecordsAStepWithinCapacity) {
  SKIP_WITHOUT_GPU();
  std::vector<float> state;
  const StepControl c = record(3, 4, &state);
  EXPECT_EQ(c.status, kRunning);
  EXPECT_EQ(state, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(DeviceStepRecord, AStepPastCapacityStopsTheSolveWithAnError) {
  SKIP_WITHOUT_GPU();
  std::vector<float> state;
  const StepControl c = record(5, 4, &state);
  EXPECT_EQ(c.status, kRecordFull);
  try {
    throw_solve_failure(c, ControlParams{}, "density solve");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::cuda_failure);
    EXPECT_NE(std::string(e.what()).find("step record full"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cucnf::detail
