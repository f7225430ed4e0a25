#include "common_flags.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace cucnf::cli {

CLI::Validator whole_number(long double min, long double max) {
  std::ostringstream range;
  range.precision(21);
  range << min << " to " << max;
  const std::string bounds = range.str();
  return CLI::Validator(
      [min, max, bounds](std::string& input) -> std::string {
        char* end = nullptr;
        const long double v = std::strtold(input.c_str(), &end);
        const bool whole = !input.empty() && end == input.c_str() + input.size() &&
                           std::isfinite(v) && v == std::floor(v);
        if (whole && v >= min && v <= max) return {};
        return "must be a whole number from " + bounds + " (got '" + input + "')";
      },
      "INT in [" + bounds + "]");
}

void add_solver_flags(CLI::App& cmd, SolverFlags& flags, const std::string& method) {
  flags.method = method;
  cmd.add_option("--method", flags.method,
                 "Runge-Kutta method: euler, midpoint, rk4, rk4_38 (fixed step, need "
                 "--step-size); heun_euler, fehlberg2, bosh3, dopri5, tsit5 (adaptive)")
      ->capture_default_str();
  cmd.add_option("--rtol", flags.rtol, "relative tolerance (adaptive methods)")
      ->capture_default_str();
  cmd.add_option("--atol", flags.atol, "absolute tolerance (adaptive methods)")
      ->capture_default_str();
  cmd.add_option("--step-size", flags.step_size,
                 "fixed-step methods: the step; adaptive: the first step (0 = automatic)")
      ->capture_default_str();
  cmd.add_option("--max-steps", flags.max_steps, "fail after this many step attempts")
      ->check(whole_number(1, 1e15))
      ->capture_default_str();
}

void add_device_flags(CLI::App& cmd, DeviceFlags& flags) {
  cmd.add_option("--device", flags.device, "auto (GPU if present), cpu or cuda")
      ->capture_default_str();
  cmd.add_option("--precision", flags.precision,
                 "arithmetic of the CPU or CUDA backend: float32 or float64")
      ->capture_default_str();
}

SolverOptions solver_options(const SolverFlags& flags) {
  SolverOptions o;
  o.method = parse_method(flags.method);
  o.rtol = flags.rtol;
  o.atol = flags.atol;
  o.step_size = flags.step_size;
  o.max_num_steps = flags.max_steps;
  validate(o);
  return o;
}

Adjoint parse_adjoint(const std::string& name) {
  if (name == "continuous") return Adjoint::continuous;
  if (name == "discrete") return Adjoint::discrete;
  throw Error(ErrorKind::invalid_argument,
              "unknown adjoint '" + name + "' (valid: continuous, discrete)");
}

Device device(const DeviceFlags& flags) {
  return parse_device(flags.device);
}

Precision precision(const DeviceFlags& flags) {
  if (flags.precision == "float32") return Precision::float32;
  if (flags.precision == "float64") return Precision::float64;
  throw Error(ErrorKind::invalid_argument,
              "unknown precision '" + flags.precision + "' (valid: float32, float64)");
}

std::string describe(const Flow& flow) {
  return flow.device_description();
}

std::string describe(const SolveStats& stats) {
  std::ostringstream s;
  s << stats.nfe << " field evaluations, " << stats.accepted << " accepted and " << stats.rejected
    << " rejected steps";
  return s.str();
}

}  // namespace cucnf::cli
