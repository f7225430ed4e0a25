// Flow: checks inputs, turns log-density, sampling and trajectory requests into solves on
// its backend, and assembles the results.
#include "cucnf/flow.hpp"

#include <cmath>
#include <string>

#include "backend.hpp"
#include "core/base_density.hpp"
#include "core/checked_size.hpp"
#include "core/philox.hpp"
#include "cucnf/error.hpp"
#include "flow_impl.hpp"

namespace cucnf {
namespace {

// The base draws, unchecked: callers check the size. The numbers of detail::BaseDraw (which the
// device-array sample draws on the GPU), computed here one Philox draw per pair of values.
std::vector<double> draw_base(const Model& model, std::size_t n, std::uint64_t seed) {
  const int d = model.shape().dim;
  const double sigma = std::sqrt(model.base_variance());
  std::vector<double> z(n * d);
  const std::size_t pairs = (std::size_t(d) + 1) / 2;  // Box-Muller gives two normals a draw
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t p = 0; p < pairs; ++p) {
      double a, b;
      detail::normal2(seed, 0, i * pairs + p, a, b);
      z[i * d + 2 * p] = sigma * a;
      if (2 * p + 1 < std::size_t(d)) z[i * d + 2 * p + 1] = sigma * b;
    }
  }
  return z;
}

}  // namespace

std::vector<double> base_samples(const Model& model, std::size_t n, std::uint64_t seed) {
  return detail::with_memory_check(n, model.shape().dim, "base samples",
                                   [&] { return draw_base(model, n, seed); });
}

Flow::Flow(Model model, Device device, Precision precision)
    : impl_(std::make_unique<Impl>(std::move(model))) {
  const Model& m = impl_->model;
  impl_->device = resolve_device(device);
  impl_->backend = detail::make_backend(impl_->device, m.shape(), m.params(), precision);
}

Flow::~Flow() = default;
Flow::Flow(Flow&&) noexcept = default;
Flow& Flow::operator=(Flow&&) noexcept = default;

Device Flow::device() const {
  return impl_->device;
}

std::string Flow::device_description() const {
  return impl_->backend->description();
}

const Model& Flow::model() const {
  return impl_->model;
}

void Flow::set_params(const std::vector<double>& params) {
  impl_->model.set_params(params);
  impl_->backend->set_params(impl_->model.params());
}

LogProbResult Flow::log_prob(const std::vector<double>& x, const SolverOptions& options) {
  validate(options);
  const std::size_t n = impl_->rows(x, "input points");
  const int d = impl_->model.shape().dim;
  return detail::with_memory_check(n, d, "points",
                                   [&] { return impl_->log_prob(x, n, d, options); });
}

LogProbResult Flow::Impl::log_prob(const std::vector<double>& x, std::size_t n, int d,
                                   const SolverOptions& options) {
  LogProbResult r;
  r.z0.resize(n * d);
  r.delta_logp.resize(n);
  r.stats = backend->solve(x.data(), n, {model.t1(), model.t0()}, options, r.z0.data(),
                           r.delta_logp.data(), "density solve");
  r.log_prob.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    r.log_prob[i] =
        detail::base_log_density(&r.z0[i * d], d, model.base_variance()) - r.delta_logp[i];
  return r;
}

SampleResult Flow::sample(std::size_t n, std::uint64_t seed, const SolverOptions& options) {
  validate(options);
  if (n == 0) throw Error(ErrorKind::invalid_argument, "the number of samples must be >= 1");
  const int d = impl_->model.shape().dim;
  return detail::with_memory_check(n, d, "samples",
                                   [&] { return impl_->sample(n, d, seed, options); });
}

SampleResult Flow::Impl::sample(std::size_t n, int d, std::uint64_t seed,
                                const SolverOptions& options) {
  SampleResult r;
  r.z0 = draw_base(model, n, seed);
  r.x.resize(n * d);
  std::vector<double> delta(n);
  r.stats = backend->solve(r.z0.data(), n, {model.t0(), model.t1()}, options, r.x.data(),
                           delta.data(), "sampling solve");
  r.log_prob.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    r.log_prob[i] = detail::base_log_density(&r.z0[i * d], d, model.base_variance()) + delta[i];
  return r;
}

TrajectoryResult Flow::trajectory(const std::vector<double>& z_start,
                                  const std::vector<double>& times, const SolverOptions& options) {
  validate(options);
  const std::size_t n = impl_->rows(z_start, "start points");
  const std::size_t nd = z_start.size();
  if (times.size() < 2)
    throw Error(ErrorKind::invalid_argument, "a trajectory needs at least two times");
  return detail::with_memory_check(times.size(), nd, "trajectory times of all points", [&] {
    TrajectoryResult r;
    r.times = times;
    r.z.resize(times.size() * nd);
    r.delta_logp.assign(times.size() * n, 0.0);
    std::copy(z_start.begin(), z_start.end(), r.z.begin());
    r.stats = impl_->backend->solve(z_start.data(), n, times, options, r.z.data() + nd,
                                    r.delta_logp.data() + n, "trajectory solve");
    return r;
  });
}

GradientResult Flow::gradient(const std::vector<double>& x, const SolverOptions& options,
                              const GradientOptions& gradient_options) {
  validate(options);
  detail::validate_gradient_options(gradient_options);
  const std::size_t n = impl_->rows(x, "input points");
  return detail::with_memory_check(n, impl_->model.shape().dim, "points", [&] {
    return impl_->backend->gradient(x.data(), n, impl_->spec(), options, gradient_options);
  });
}

}  // namespace cucnf
