// Runge-Kutta methods, solver options and per-solve statistics.
#pragma once

#include <cstdint>
#include <string>

#include "cucnf/export.hpp"

namespace cucnf {

/// Explicit Runge-Kutta methods. Fixed step: euler, midpoint, rk4 (classic), rk4_38 (the 3/8
/// rule, which is torchdiffeq's "rk4"). Adaptive with an embedded error estimate: heun_euler
/// (torchdiffeq's "adaptive_heun"), fehlberg2, bosh3, dopri5, tsit5.
enum class Method { euler, midpoint, rk4, rk4_38, heun_euler, fehlberg2, bosh3, dopri5, tsit5 };

/// Parses a method name: "euler", "midpoint", "rk4", "rk4_38", "heun_euler" (or
/// "adaptive_heun"), "fehlberg2", "bosh3", "dopri5", "tsit5". Throws Error(invalid_argument)
/// listing the valid names.
CUCNF_API Method parse_method(const std::string& name);
/// The canonical name of a method, as accepted by parse_method.
CUCNF_API const char* method_name(Method method) noexcept;
/// True for the methods with an embedded error estimate and adaptive steps.
CUCNF_API bool is_adaptive(Method method) noexcept;
/// The order of accuracy of the propagated solution.
CUCNF_API int method_order(Method method) noexcept;

/// How a solve is integrated. Adaptive control follows torchdiffeq: one step size for the
/// whole batch; error ratio = max over the state's parts of the RMS over their elements of
/// err / (atol + rtol * max(|y_old|, |y_new|)); accept if <= 1; next step =
/// h * min(ifactor, max(safety / ratio^(1/order), dfactor)), with dfactor 1 after an accepted
/// step. The solver lands exactly on every requested output time (torchdiffeq's
/// step_locations), instead of stepping past it and interpolating. Time is kept in float64.
struct SolverOptions {
  Method method = Method::dopri5;
  double rtol = 1e-5;  ///< relative tolerance, > 0 (adaptive methods)
  double atol = 1e-5;  ///< absolute tolerance, > 0 (adaptive methods)
  /// Fixed-step methods: the step size (> 0, required). Adaptive methods: the first step to
  /// try; 0 selects it by Hairer's heuristic (Solving ODEs I, II.4), as torchdiffeq does.
  double step_size = 0.0;
  /// Error (max_steps_exceeded) once a solve has attempted this many steps (accepted plus
  /// rejected); guards against a solve that would run for hours.
  std::int64_t max_num_steps = 1000000;
  /// Error (step_size_underflow) if the adaptive controller proposes a step below this size;
  /// 0 only stops when the step no longer changes time in float64.
  double min_step = 0.0;
  double safety = 0.9;    ///< step-size safety factor, in (0, 1]
  double ifactor = 10.0;  ///< largest growth factor of the step, >= 1
  double dfactor = 0.2;   ///< smallest shrink factor after a rejected step, in (0, 1]
};

/// Checks a SolverOptions and throws Error(invalid_argument) naming the first bad field.
CUCNF_API void validate(const SolverOptions& options);

/// What one solve cost. nfe counts evaluations of the whole batch's vector field (the
/// initial derivative and Hairer's probe included, as torchdiffeq counts them).
struct SolveStats {
  std::int64_t nfe = 0;
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
};

}  // namespace cucnf
