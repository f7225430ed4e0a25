// The adaptive step-size controller, written once for the host and the device.
//
// A solve is a sequence of step attempts. Each attempt reads the controller state, evaluates
// the Runge-Kutta stages over [t, t_new], reduces the error ratio and calls control_update(),
// which accepts or rejects the attempt and proposes the next step, all as torchdiffeq does
// (design §3). The CPU backend calls these functions directly; the CUDA backend calls them
// from kernels, so the state never has to travel to the host between steps.
#pragma once

#include <cmath>

#include "core/hd.hpp"
#include "core/tableau.hpp"

namespace cucnf::detail {

enum StepStatus : int {
  kRunning = 0,
  kSegmentDone = 1,   ///< reached t_end: the driver records the output and moves on
  kUnderflow = 2,     ///< the next step would not change t
  kMaxSteps = 3,      ///< max_num_steps attempts without finishing
  kNonFinite = 4,     ///< the error ratio (hence the state or its derivative) is not finite
  kBelowMinStep = 5,  ///< a rejected attempt shrank the step below min_step
  kRecordFull = 6,    ///< discrete adjoint: an accepted step found the device's step record full
};

/// Constants of one solve.
struct ControlParams {
  double rtol = 1e-5;
  double atol = 1e-5;
  double safety = 0.9;
  double ifactor = 10.0;
  double dfactor = 0.2;
  double min_step = 0.0;
  long long max_attempts = 1000000;
  int order = 1;
  int evals_per_attempt = 1;
  bool adaptive = false;
  bool fsal = false;
};

/// Controller state. Lives in host memory (CPU backend) or device memory (CUDA backend).
struct StepControl {
  double t = 0.0;           ///< time of the accepted state
  double h = 0.0;           ///< magnitude of the next step to attempt (> 0)
  double t_end = 0.0;       ///< end of the current segment (the next output time)
  double dir = 1.0;         ///< +1 when time increases, -1 when it decreases
  double last_t = 0.0;      ///< start time of the last attempt
  double last_dt = 0.0;     ///< signed step of the last attempt
  double last_ratio = 0.0;  ///< error ratio of the last attempt (diagnostics)
  double hairer_h0 = 0.0;   ///< Hairer's heuristic between its two halves (CUDA backend)
  double hairer_d1 = 0.0;
  long long nfe = 0;
  long long accepted = 0;
  long long rejected = 0;
  int buf = 0;      ///< which of the two state buffers holds the accepted state
  int k0_slot = 0;  ///< FSAL: 1 when k_0 lives in the last stage's slot (they swap on accept)
  int status = kRunning;
  int last_accepted = 0;  ///< 1 when the last attempt was accepted (a discrete adjoint records it)
};

/// Where the next attempt goes: t_new lands exactly on t_end when the step reaches it.
struct StepGeometry {
  double t_new;
  double dt;  ///< signed: t_new - t
};

CUCNF_HD inline bool finite_value(double x) {
#if defined(__CUDA_ARCH__)
  return isfinite(x);
#else
  return std::isfinite(x);
#endif
}

/// A step that would leave less than this fraction of itself before t_end takes the rest too:
/// rounding in t (fixed steps add h hundreds of times) must not cost an extra, tiny step.
constexpr double kLandingSlack = 1e-6;

CUCNF_HD inline bool nan_value(double x) {
#if defined(__CUDA_ARCH__)
  return isnan(x);
#else
  return std::isnan(x);
#endif
}

CUCNF_HD inline StepGeometry step_geometry(const StepControl& c) {
  const double remaining = (c.t_end - c.t) * c.dir;
  StepGeometry g;
  g.t_new = c.h * (1.0 + kLandingSlack) >= remaining ? c.t_end : c.t + c.dir * c.h;
  g.dt = g.t_new - c.t;
  return g;
}

/// Time of stage s: a stage at c_s = 1 is evaluated exactly at t_new (as torchdiffeq does).
CUCNF_HD inline double stage_time(const StepControl& c, const StepGeometry& g, double c_s) {
  return c_s == 1.0 ? g.t_new : c.t + c_s * g.dt;
}

/// Buffer slot of stage j's derivative. With FSAL, k_0 and k_{S-1} trade slots on every
/// accepted step instead of being copied.
CUCNF_HD inline int stage_slot(int stage, int stages, int k0_slot) {
  if (k0_slot == 0 || stages == 1) return stage;
  if (stage == 0) return stages - 1;
  if (stage == stages - 1) return 0;
  return stage;
}

/// torchdiffeq's _optimal_step_size: the factor by which the step is scaled.
CUCNF_HD inline double step_factor(double ratio, const ControlParams& p) {
  if (ratio == 0.0) return p.ifactor;
  const double dfactor = ratio < 1.0 ? 1.0 : p.dfactor;
  const double factor = p.safety / std::pow(ratio, 1.0 / p.order);
  return std::fmin(p.ifactor, std::fmax(factor, dfactor));
}

/// Fails the solve if the next attempt could not advance time.
CUCNF_HD inline void check_next_attempt(StepControl& c) {
  if (c.status != kRunning) return;
  if (!(c.h > 0.0) || !finite_value(c.h) || step_geometry(c).t_new == c.t) c.status = kUnderflow;
}

/// Accepts or rejects the attempt just evaluated and proposes the next step. `ratio` is 0 for
/// fixed-step methods and NaN when the new state or its error estimate was not finite; +Inf
/// only means an error far above a tiny tolerance (a hard rejection).
CUCNF_HD inline void control_update(StepControl& c, const ControlParams& p, double ratio) {
  if (c.status != kRunning) return;
  const StepGeometry g = step_geometry(c);
  c.nfe += p.evals_per_attempt;
  c.last_t = c.t;
  c.last_dt = g.dt;
  c.last_ratio = ratio;
  c.last_accepted = 0;
  if (nan_value(ratio)) {
    c.status = kNonFinite;
    return;
  }
  const bool accept = !p.adaptive || ratio <= 1.0;
  if (accept) {
    c.t = g.t_new;
    c.last_accepted = 1;
    ++c.accepted;
    c.buf ^= 1;
    if (p.fsal) c.k0_slot ^= 1;
  } else {
    ++c.rejected;
  }
  if (p.adaptive) c.h = std::fabs(g.dt) * step_factor(ratio, p);
  if (accept && c.t == c.t_end) {
    c.status = kSegmentDone;
    return;
  }
  if (c.accepted + c.rejected >= p.max_attempts) {
    c.status = kMaxSteps;
    return;
  }
  if (!accept && p.min_step > 0.0 && c.h < p.min_step) {
    c.status = kBelowMinStep;
    return;
  }
  check_next_attempt(c);
}

/// Starts a new segment towards t_end from the current state (after kSegmentDone).
CUCNF_HD inline void begin_segment(StepControl& c, double t_end) {
  c.t_end = t_end;
  c.status = kRunning;
  check_next_attempt(c);
}

/// Hairer's first-step heuristic (Solving ODEs I, II.4), as torchdiffeq's
/// _select_initial_step: d0 = ||y0 / scale||, d1 = ||f0 / scale|| with scale = atol + rtol|y0|.
/// (Infinite norms, from absurdly small tolerances, take the small-step branch.)
CUCNF_HD inline double hairer_h0(double d0, double d1) {
  return (d0 < 1e-5 || d1 < 1e-5 || !finite_value(d0) || !finite_value(d1)) ? 1e-6 : 0.01 * d0 / d1;
}

/// Second half: d2 = ||(f(t0 + h0, y0 + h0 f0) - f0) / scale|| / h0.
CUCNF_HD inline double hairer_first_step(double h0, double d1, double d2, int order) {
  double h1;
  if (d1 <= 1e-15 && d2 <= 1e-15) {
    h1 = std::fmax(1e-6, h0 * 1e-3);
  } else {
    h1 = std::pow(0.01 / std::fmax(d1, d2), 1.0 / order);
  }
  return std::fmin(100.0 * h0, h1);
}

/// Hairer's first half on the controller: d0 = ||y0/scale||, d1 = ||f0/scale||.
CUCNF_HD inline void hairer_begin(StepControl& c, double d0, double d1) {
  if (c.status != kRunning) return;
  if (nan_value(d0) || nan_value(d1)) {
    c.status = kNonFinite;
    return;
  }
  c.hairer_h0 = hairer_h0(d0, d1);
  c.hairer_d1 = d1;
}

/// Hairer's second half: df = ||(f1 - f0)/scale|| from the probe at t0 + dir h0. Sets h.
CUCNF_HD inline void hairer_end(StepControl& c, double df, int order) {
  if (c.status != kRunning) return;
  if (nan_value(df)) {
    c.status = kNonFinite;
    return;
  }
  c.h = hairer_first_step(c.hairer_h0, c.hairer_d1, df / c.hairer_h0, order);
  check_next_attempt(c);
}

/// The controller constants of a solve.
inline ControlParams make_control_params(const Tableau& tab, double rtol, double atol,
                                         double safety, double ifactor, double dfactor,
                                         double min_step, long long max_attempts) {
  ControlParams p;
  p.rtol = rtol;
  p.atol = atol;
  p.safety = safety;
  p.ifactor = ifactor;
  p.dfactor = dfactor;
  p.min_step = min_step;
  p.max_attempts = max_attempts;
  p.order = tab.order;
  p.evals_per_attempt = tab.evals_per_attempt();
  p.adaptive = tab.adaptive;
  p.fsal = tab.fsal;
  return p;
}

}  // namespace cucnf::detail
