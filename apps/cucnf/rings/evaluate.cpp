#include "evaluate.hpp"

#include <chrono>
#include <cmath>

#include "target_density.hpp"

namespace cucnf::cli {
namespace {

// Held-out points come from a stream far above any iteration number.
constexpr std::uint64_t kHeldOutStream = std::uint64_t(1) << 62;

plot::Grid empty_grid(int resolution, double extent) {
  plot::Grid g;
  g.x_min = g.y_min = -extent;
  g.x_max = g.y_max = extent;
  g.nx = g.ny = resolution;
  g.values.assign(std::size_t(resolution) * resolution, 0.0);
  return g;
}

// Cell centres, row 0 at the top (y_max), as plot::Grid lays them out.
std::vector<double> grid_points(const plot::Grid& g) {
  std::vector<double> points;
  points.reserve(2 * g.values.size());
  const double dx = (g.x_max - g.x_min) / g.nx, dy = (g.y_max - g.y_min) / g.ny;
  for (int i = 0; i < g.ny; ++i)
    for (int j = 0; j < g.nx; ++j) {
      points.push_back(g.x_min + (j + 0.5) * dx);
      points.push_back(g.y_max - (i + 0.5) * dy);
    }
  return points;
}

// As the library's: log(2 pi) + log(s^2), which stays finite for any finite variance.
double base_log_density(const double* z, int dim, double variance) {
  const double s = std::sqrt(variance);
  double quadratic = 0;
  for (int j = 0; j < dim; ++j) quadratic += (z[j] / s) * (z[j] / s);
  return -0.5 * quadratic - 0.5 * dim * (std::log(2 * M_PI) + std::log(variance));
}

}  // namespace

HeldOutResult heldout_nll(Flow& flow, std::size_t points, std::uint64_t seed,
                          const SolverOptions& options,
                          const std::function<void(std::size_t, std::size_t)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<double> x = rings(points, seed, kHeldOutStream);
  const std::size_t chunks = std::min<std::size_t>(10, points);
  HeldOutResult r;
  r.points = points;
  double sum = 0.0;
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t begin = points * c / chunks, end = points * (c + 1) / chunks;
    const std::vector<double> part(x.begin() + 2 * begin, x.begin() + 2 * end);
    const LogProbResult lp = flow.log_prob(part, options);
    for (double v : lp.log_prob) sum += v;
    r.stats.nfe += lp.stats.nfe;
    r.stats.accepted += lp.stats.accepted;
    r.stats.rejected += lp.stats.rejected;
    if (progress) progress(end, points);
  }
  r.nll = -sum / double(points);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

plot::Grid target_grid(int resolution, double extent) {
  plot::Grid g = empty_grid(resolution, extent);
  const std::vector<double> p = grid_points(g);
  for (std::size_t i = 0; i < g.values.size(); ++i)
    g.values[i] = rings_density(p[2 * i], p[2 * i + 1]);
  return g;
}

plot::Grid learned_grid(Flow& flow, int resolution, double extent, const SolverOptions& options) {
  plot::Grid g = empty_grid(resolution, extent);
  const LogProbResult lp = flow.log_prob(grid_points(g), options);
  for (std::size_t i = 0; i < g.values.size(); ++i) g.values[i] = std::exp(lp.log_prob[i]);
  return g;
}

std::vector<plot::Frame> flow_frames(Flow& flow, int frames, std::size_t samples,
                                     std::uint64_t seed, int resolution, double extent,
                                     const SolverOptions& options,
                                     const std::function<void(int, int)>& progress) {
  const Model& m = flow.model();
  const int dim = m.shape().dim;
  std::vector<double> times(frames);
  for (int i = 0; i < frames; ++i)
    times[i] = m.t0() + (m.t1() - m.t0()) * double(i) / double(std::max(1, frames - 1));
  const TrajectoryResult path = flow.trajectory(base_samples(m, samples, seed), times, options);
  const plot::Grid blank = empty_grid(resolution, extent);
  const std::vector<double> grid = grid_points(blank);
  std::vector<plot::Frame> out(frames);
  for (int f = 0; f < frames; ++f) {
    plot::Frame& frame = out[f];
    frame.t = times[f];
    frame.points.assign(path.z.begin() + std::size_t(f) * samples * dim,
                        path.z.begin() + std::size_t(f + 1) * samples * dim);
    frame.density = blank;
    if (f == 0) {  // p_{t0} is the base density itself
      for (std::size_t i = 0; i < blank.values.size(); ++i)
        frame.density.values[i] = std::exp(base_log_density(&grid[2 * i], dim, m.base_variance()));
    } else {  // p_t(x) = N(z(t0)) exp(-l(t0)) with x carried from t back to t0
      const TrajectoryResult back = flow.trajectory(grid, {times[f], m.t0()}, options);
      const std::size_t n = blank.values.size();
      for (std::size_t i = 0; i < n; ++i) {
        const double* z0 = &back.z[(n + i) * dim];
        frame.density.values[i] =
            std::exp(base_log_density(z0, dim, m.base_variance()) - back.delta_logp[n + i]);
      }
    }
    if (progress) progress(f + 1, frames);
  }
  return out;
}

}  // namespace cucnf::cli
