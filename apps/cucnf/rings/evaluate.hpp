// What the demo computes from a trained model: the held-out NLL and the pictures' data.
#pragma once

#include <cstdint>
#include <functional>

#include "cucnf/cucnf.hpp"
#include "plot/figures.hpp"

namespace cucnf::cli {

struct HeldOutResult {
  double nll = 0.0;  ///< -mean log p over the points, in nats
  std::size_t points = 0;
  SolveStats stats;  ///< summed over the chunks
  double seconds = 0.0;
};

/// -mean log p of `points` fresh rings points (from `seed` on a stream no training batch uses),
/// solved in chunks; `progress(done, total)` is called after each chunk.
HeldOutResult heldout_nll(Flow& flow, std::size_t points, std::uint64_t seed,
                          const SolverOptions& options,
                          const std::function<void(std::size_t, std::size_t)>& progress);

/// The exact rings density on a resolution x resolution grid over [-extent, extent]^2.
plot::Grid target_grid(int resolution, double extent);
/// The model's density p(x) at t1 on the same grid.
plot::Grid learned_grid(Flow& flow, int resolution, double extent, const SolverOptions& options);

/// Animation frames at `frames` times from t0 to t1: samples drawn at t0 and carried along, and
/// the model's density at each time (p_t(x): x carried back to t0).
std::vector<plot::Frame> flow_frames(Flow& flow, int frames, std::size_t samples,
                                     std::uint64_t seed, int resolution, double extent,
                                     const SolverOptions& options,
                                     const std::function<void(int, int)>& progress);

}  // namespace cucnf::cli
