// Trainer: iterations of (batch, adjoint gradient, Adam) on one backend.
#include "cucnf/train.hpp"

#include <chrono>
#include <cmath>
#include <string>

#include "backend.hpp"
#include "core/checked_size.hpp"
#include "cucnf/error.hpp"

namespace cucnf {
namespace {

void validate(const TrainOptions& o) {
  cucnf::validate(o.solver);
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw Error(ErrorKind::invalid_argument, message);
  };
  require(o.batch_size >= 1, "batch_size must be >= 1");
  require(std::isfinite(o.adam.lr) && o.adam.lr > 0, "the learning rate must be > 0");
  require(o.adam.beta1 >= 0 && o.adam.beta1 < 1, "beta1 must be in [0, 1)");
  require(o.adam.beta2 >= 0 && o.adam.beta2 < 1, "beta2 must be in [0, 1)");
  require(std::isfinite(o.adam.eps) && o.adam.eps > 0, "eps must be > 0");
  detail::validate_gradient_options(o.gradient);
}

}  // namespace

struct Trainer::Impl {
  Impl(Model m, const TrainOptions& o) : model(std::move(m)), options(o) {}
  Model model;  // shape, interval and base; the parameters live in the backend
  TrainOptions options;
  Device device = Device::cpu;
  std::unique_ptr<detail::Backend> backend;
  std::int64_t iteration = 0;

  IterationReport run(const double* batch, std::size_t n) {
    return detail::with_memory_check(n, model.shape().dim, "batch points",
                                     [&] { return run_checked(batch, n); });
  }

  IterationReport run_checked(const double* batch, std::size_t n) {
    const auto start = std::chrono::steady_clock::now();
    detail::TrainStepRequest r;
    r.batch = batch;
    r.n = n;
    r.data_seed = options.data_seed;
    r.data_stream = std::uint64_t(iteration);
    r.solver = options.solver;
    r.gradient = options.gradient;
    r.adam = options.adam;
    r.adam_step = iteration + 1;
    detail::TrainStepResult result;
    try {
      result = backend->train_step(r, {model.t0(), model.t1(), model.base_variance()});
    } catch (const Error& e) {
      throw Error(e.kind(), "training iteration " + std::to_string(iteration + 1) + ": " +
                                e.what() + " (parameters and Adam state left unchanged)");
    }
    ++iteration;
    IterationReport report;
    report.iteration = iteration;
    report.loss = result.loss;
    report.forward = result.forward;
    report.backward = result.backward;
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
  }
};

Trainer::Trainer(Model model, TrainOptions options, Device device, Precision precision) {
  validate(options);
  impl_ = std::make_unique<Impl>(std::move(model), options);
  const Model& m = impl_->model;
  impl_->device = resolve_device(device);
  impl_->backend = detail::make_backend(impl_->device, m.shape(), m.params(), precision);
}

Trainer::~Trainer() = default;
Trainer::Trainer(Trainer&&) noexcept = default;
Trainer& Trainer::operator=(Trainer&&) noexcept = default;

IterationReport Trainer::step() {
  if (impl_->model.shape().dim != 2)
    throw Error(ErrorKind::invalid_argument, "the rings data is 2-D; this model has dimension " +
                                                 std::to_string(impl_->model.shape().dim) +
                                                 " (pass batches to step(batch))");
  return impl_->run(nullptr, impl_->options.batch_size);
}

IterationReport Trainer::step(const std::vector<double>& batch) {
  const std::size_t n = detail::count_points(batch, impl_->model.shape().dim, "the batch");
  return impl_->run(batch.data(), n);
}

Model Trainer::model() const {
  const Model& m = impl_->model;
  return Model(m.shape(), m.t0(), m.t1(), m.base_variance(), impl_->backend->params());
}

AdamState Trainer::adam_state() const {
  AdamState s = impl_->backend->adam_state();
  s.step = impl_->iteration;
  return s;
}

void Trainer::set_adam_state(const AdamState& state) {
  const std::size_t count = impl_->model.shape().parameter_count();
  if (state.step < 0 || state.m.size() != count || state.v.size() != count)
    throw Error(ErrorKind::invalid_argument, "Adam state must have step >= 0 and " +
                                                 std::to_string(count) +
                                                 " first and second moments");
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(state.m[i]) || !std::isfinite(state.v[i]) || state.v[i] < 0)
      throw Error(ErrorKind::invalid_argument,
                  "Adam state has an invalid moment at " + std::to_string(i));
  impl_->backend->set_adam_state(state);
  impl_->iteration = state.step;
}

std::int64_t Trainer::iteration() const {
  return impl_->iteration;
}
const TrainOptions& Trainer::options() const {
  return impl_->options;
}
Device Trainer::device() const {
  return impl_->device;
}
std::string Trainer::device_description() const {
  return impl_->backend->description();
}

}  // namespace cucnf
