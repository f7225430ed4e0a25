#include "cpu/cpu_rk.hpp"

#include <algorithm>
#include <cmath>

namespace cucnf::detail {

CpuRk::CpuRk(CpuSystem& system, const Tableau& tableau, const ControlParams& params)
    : system_(system), tab_(tableau), params_(params), n_(system.size()) {
  y_[0].assign(n_, 0.0);
  y_[1].assign(n_, 0.0);
  k_.assign(tab_.stages, std::vector<double>(n_, 0.0));
  stage_.assign(n_, 0.0);
}

void CpuRk::on_accepted_step(AcceptedStepFn fn) {
  on_accepted_ = std::move(fn);
  fsal_point_[0].assign(n_, 0.0);
  fsal_point_[1].assign(n_, 0.0);
}

void CpuRk::start(double t0, double t_end, double step_size) {
  ctl_ = StepControl{};
  ctl_.t = t0;
  ctl_.t_end = t_end;
  ctl_.dir = t_end > t0 ? 1.0 : -1.0;
  ctl_.status = kRunning;
  if (on_accepted_) fsal_point_[0] = y_[0];
  const bool need_f0 = tab_.fsal || (tab_.adaptive && step_size == 0.0);
  if (need_f0) {
    system_.eval(t0, y_[0].data(), k(0));
    ctl_.nfe = 1;
  }
  if (tab_.adaptive && step_size == 0.0) {
    initial_step(t0);
  } else {
    ctl_.h = step_size;
    check_next_attempt(ctl_);
  }
}

// Hairer's heuristic with the solve's own error norm, as torchdiffeq's _select_initial_step.
void CpuRk::initial_step(double t0) {
  const double* y0 = y_[0].data();
  const double* f0 = k(0);
  const auto& parts = system_.norm_parts();
  auto scale = [&](std::size_t i) { return params_.atol + std::fabs(y0[i]) * params_.rtol; };
  // The 0 * value terms turn an infinite derivative into NaN: a non-finite state, not merely
  // a norm that overflowed because the tolerances are tiny.
  const double d0 = mixed_rms_norm(parts, [&](std::size_t i) { return y0[i] / scale(i); });
  const double d1 =
      mixed_rms_norm(parts, [&](std::size_t i) { return f0[i] / scale(i) + 0.0 * f0[i]; });
  hairer_begin(ctl_, d0, d1);
  if (ctl_.status != kRunning) return;
  const double h0 = ctl_.hairer_h0;
  for (std::size_t i = 0; i < n_; ++i) stage_[i] = y0[i] + ctl_.dir * h0 * f0[i];
  std::vector<double>& f1 = y_[1];  // scratch: y_[1] is written by the first attempt anyway
  system_.eval(t0 + ctl_.dir * h0, stage_.data(), f1.data());
  ctl_.nfe += 1;
  hairer_end(ctl_,
             mixed_rms_norm(
                 parts, [&](std::size_t i) { return (f1[i] - f0[i]) / scale(i) + 0.0 * f1[i]; }),
             tab_.order);
}

void CpuRk::attempt() {
  if (ctl_.status != kRunning) return;
  const StepGeometry g = step_geometry(ctl_);
  const int S = tab_.stages;
  const double* y = y_[ctl_.buf].data();
  double* y_new = y_[ctl_.buf ^ 1].data();
  if (!tab_.fsal) system_.eval(ctl_.t, y, k(0));
  for (int s = 1; s < S; ++s) {
    const bool last = s == S - 1;
    double* stage = last && tab_.b_is_last_stage ? y_new : stage_.data();
    std::copy(y, y + n_, stage);
    for (int j = 0; j < s; ++j) {
      const double coef = g.dt * tab_.a[s][j];
      if (coef == 0.0) continue;
      const double* kj = k(j);
      for (std::size_t i = 0; i < n_; ++i) stage[i] += coef * kj[i];
    }
    system_.eval(stage_time(ctl_, g, tab_.c[s]), stage, k(s));
    if (last && on_accepted_ && tab_.fsal) fsal_point_[ctl_.buf ^ 1].assign(stage, stage + n_);
  }
  if (!tab_.b_is_last_stage) {
    std::copy(y, y + n_, y_new);
    for (int j = 0; j < S; ++j) {
      const double coef = g.dt * tab_.b[j];
      if (coef == 0.0) continue;
      const double* kj = k(j);
      for (std::size_t i = 0; i < n_; ++i) y_new[i] += coef * kj[i];
    }
  }
  if (on_accepted_ && !tab_.fsal) fsal_point_[ctl_.buf ^ 1].assign(y_new, y_new + n_);

  // Error ratio; the 0 * y_new term turns a non-finite new state into NaN for fixed steps too.
  const double* ks[kMaxStages];
  for (int j = 0; j < S; ++j) ks[j] = k(j);
  const double ratio = mixed_rms_norm(system_.norm_parts(), [&](std::size_t i) {
    double err = 0.0;
    for (int j = 0; j < S; ++j) err += tab_.e[j] * ks[j][i];
    err *= g.dt;
    const double tol = params_.atol + params_.rtol * std::max(std::fabs(y[i]), std::fabs(y_new[i]));
    return err / tol + 0.0 * y_new[i];
  });

  const double t_old = ctl_.t;
  const int buf_old = ctl_.buf;
  const long long accepted_before = ctl_.accepted;
  control_update(ctl_, params_, ratio);
  if (on_accepted_ && ctl_.accepted > accepted_before)
    on_accepted_(t_old, g.t_new, y_[buf_old].data(), fsal_point_[buf_old].data());
}

void CpuRk::record_output(std::size_t index) {
  if (on_output_) on_output_(index, state());
}

}  // namespace cucnf::detail
