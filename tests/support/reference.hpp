// The PyTorch reference results (tests/data/torch_rings_d2_k64.json, float64 at 1e-11).
#pragma once

#include <string>
#include <vector>

struct FixedGridReference {
  double step_size = 0.0;
  std::vector<double> z0;  // N x D
  std::vector<double> logp_diff_t0;
};

struct Reference {
  std::string path;
  int dim = 0;
  std::vector<double> x;  // N x D
  std::size_t n = 0;
  // density direction t1 -> t0
  std::vector<double> density_z0, density_logp_diff, density_logp;
  // sampling direction t0 -> t1
  std::vector<double> sampling_z0, sampling_times;
  std::vector<std::vector<double>> sampling_z, sampling_logp_diff;
  FixedGridReference euler, midpoint, rk4_38;
  double loss = 0.0;
  std::vector<double> grad;  // in the model's flat parameter layout
};

/// Loads the reference once (the model itself: cucnf::Model::load(reference().path)).
const Reference& reference();
