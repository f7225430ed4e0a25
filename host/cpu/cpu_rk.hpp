// Runge-Kutta steps on the CPU (float64) for any system: the CPU backend's "Ops" for the
// step driver (core/integrate.hpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <vector>

#include "core/step_control.hpp"
#include "core/tableau.hpp"

namespace cucnf::detail {

/// A half-open range [begin, end) of the state that forms one part of the error norm.
struct NormPart {
  std::size_t begin;
  std::size_t end;
};

/// torchdiffeq's mixed norm: the max over parts of the RMS of value(i) over the part.
template <class Value>
double mixed_rms_norm(const std::vector<NormPart>& parts, Value value) {
  double norm = 0.0;
  for (const NormPart& part : parts) {
    double sum = 0.0;
    for (std::size_t i = part.begin; i < part.end; ++i) {
      const double v = value(i);
      sum += v * v;
    }
    const double rms = part.end > part.begin ? std::sqrt(sum / double(part.end - part.begin)) : 0.0;
    if (std::isnan(rms)) return rms;  // a non-finite part is never hidden by the others
    if (rms > norm) norm = rms;
  }
  return norm;
}

/// An ODE dy/dt = F(t, y) on a flat float64 state.
class CpuSystem {
 public:
  virtual ~CpuSystem() = default;
  virtual std::size_t size() const = 0;
  virtual void eval(double t, const double* y, double* dydt) = 0;
  virtual const std::vector<NormPart>& norm_parts() const = 0;
};

class CpuRk {
 public:
  /// Called when the state reaches output time index `index` (see integrate()).
  using OutputFn = std::function<void(std::size_t index, const double* y)>;
  /// Called for every accepted step with its start and end times, start state and the point
  /// where its k_0 was evaluated (the FSAL point): what a discrete adjoint replays.
  using AcceptedStepFn =
      std::function<void(double t, double t_new, const double* y, const double* fsal_point)>;

  CpuRk(CpuSystem& system, const Tableau& tableau, const ControlParams& params);

  /// The state to fill before start().
  double* initial_state() { return y_[0].data(); }
  void on_output(OutputFn fn) { on_output_ = std::move(fn); }
  void on_accepted_step(AcceptedStepFn fn);

  // Ops for integrate().
  void start(double t0, double t_end, double step_size);
  void attempt();
  StepControl poll() const { return ctl_; }
  int attempts_per_poll() const { return 1; }
  void next_segment(double t_end) { begin_segment(ctl_, t_end); }
  void record_output(std::size_t index);

  const double* state() const { return y_[ctl_.buf].data(); }

 private:
  double* k(int stage) { return k_[stage_slot(stage, tab_.stages, ctl_.k0_slot)].data(); }
  void initial_step(double t0);

  CpuSystem& system_;
  const Tableau& tab_;
  ControlParams params_;
  StepControl ctl_;
  std::size_t n_;
  std::vector<double> y_[2];
  std::vector<double> fsal_point_[2];  // only kept when on_accepted_step is set
  std::vector<std::vector<double>> k_;
  std::vector<double> stage_;
  OutputFn on_output_;
  AcceptedStepFn on_accepted_;
};

}  // namespace cucnf::detail
