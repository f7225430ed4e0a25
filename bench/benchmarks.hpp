// The measurements of cucnf-bench. Each returns medians over repeats taken after warm-up.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cucnf/cucnf.hpp"

namespace cucnf::bench {

struct Settings {
  bool cuda = true;  ///< false: the CPU backend, timed with the host clock
  Precision precision = Precision::float32;
  Method train_method = Method::fehlberg2;  ///< of the training iteration (the seed's)
  int warmup = 3;
  int repeats = 15;
};

struct Measurement {
  std::string name;        ///< what was measured
  double median_ms = 0.0;  ///< median over the repeats
  double cpu_ms = 0.0;     ///< CPU backend: median process CPU time (all threads) of a repeat
  double min_ms = 0.0;
  double max_ms = 0.0;
  int repeats = 0;
  double nfe_forward = 0.0, nfe_backward = 0.0;  ///< medians
  double steps = 0.0;                            ///< median accepted + rejected steps (all solves)
  std::size_t points = 0;                        ///< batch or number of points
  double peak_mb = 0.0;   ///< peak device memory held by the library (CUDA), MB
  double floor_ms = 0.0;  ///< the hardware floor for the same work (0: none)
  std::string floor_note;
};

/// One training iteration at the seed's settings (B = 300, fehlberg2 unless train_method says
/// otherwise, 1e-5, continuous adjoint, Adam), the model's parameters restored before each repeat.
Measurement train_iteration(const Model& model, const std::string& label, const Settings& s);
/// log p of n fresh rings points (dopri5, 1e-5), the points drawn on the device.
Measurement log_density(const Model& model, std::size_t n, const Settings& s);
/// The fused stage kernel alone at n samples (CUDA only).
Measurement stage_kernel(const Model& model, std::size_t n, const Settings& s);

/// Device facts for the floors: multiprocessors and the SM clock in GHz.
struct DeviceFacts {
  std::string name;
  int multiprocessors = 0;
  double clock_ghz = 0.0;
};
DeviceFacts device_facts();

}  // namespace cucnf::bench
