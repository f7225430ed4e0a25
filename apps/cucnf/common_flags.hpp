// Flags shared by the subcommands: the solver and the device.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cucnf/cucnf.hpp"

namespace cucnf::cli {

struct SolverFlags {
  std::string method;
  double rtol = 1e-5;
  double atol = 1e-5;
  double step_size = 0.0;
  long long max_steps = 1000000;
};

struct DeviceFlags {
  std::string device = "auto";
  std::string precision = "float32";
};

/// --method, --rtol, --atol, --step-size, --max-steps, with `method` as the default method.
void add_solver_flags(CLI::App& cmd, SolverFlags& flags, const std::string& method);
/// --device auto|cpu|cuda, --precision float32|float64.
void add_device_flags(CLI::App& cmd, DeviceFlags& flags);

/// Accepts a whole number in [min, max] (bounds inclusive; exact up to 2^64), so negative
/// values cannot wrap round an unsigned option and no count exceeds what the program can hold.
CLI::Validator whole_number(long double min, long double max);
/// The largest seed: 2^64 - 1.
constexpr long double kMaxSeed = 18446744073709551615.0L;

SolverOptions solver_options(const SolverFlags& flags);
/// "continuous" or "discrete"; throws cucnf::Error otherwise.
Adjoint parse_adjoint(const std::string& name);
Device device(const DeviceFlags& flags);
Precision precision(const DeviceFlags& flags);

/// "CPU (float64)" or the GPU's description, for messages.
std::string describe(const Flow& flow);
/// One line of solve statistics for standard error.
std::string describe(const SolveStats& stats);

}  // namespace cucnf::cli
