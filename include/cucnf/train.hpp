// Maximum-likelihood training: adjoint gradients and Adam, on the device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "cucnf/device.hpp"
#include "cucnf/export.hpp"
#include "cucnf/gradient.hpp"
#include "cucnf/model.hpp"
#include "cucnf/solver.hpp"

namespace cucnf {

/// torch.optim.Adam's hyperparameters (no weight decay, no amsgrad).
struct AdamOptions {
  double lr = 1e-2;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

/// Adam's state: steps taken and the first and second moment estimates (parameter layout).
/// Saving it with the model lets a run resume exactly where it stopped.
struct AdamState {
  std::int64_t step = 0;
  std::vector<double> m;
  std::vector<double> v;
};

/// The seed's training settings (design §2) are the defaults.
struct TrainOptions {
  SolverOptions solver = seed_solver();
  GradientOptions gradient;  ///< continuous adjoint, adjoint tolerances = forward ones
  AdamOptions adam;
  std::size_t batch_size = 300;
  std::uint64_t data_seed = 0;  ///< rings batches are drawn from (data_seed, iteration)

  /// fehlberg2 with rtol = atol = 1e-5.
  static SolverOptions seed_solver() {
    SolverOptions o;
    o.method = Method::fehlberg2;
    o.rtol = o.atol = 1e-5;
    return o;
  }
};

/// What one training iteration did.
struct IterationReport {
  std::int64_t iteration = 0;  ///< 1-based: the number of iterations done, this one included
  double loss = 0.0;           ///< -mean log p of the batch, before this iteration's update
  SolveStats forward;
  SolveStats backward;
  double seconds = 0.0;  ///< wall time of the iteration, device work included
};

/// Trains a model by maximum likelihood: per iteration a forward density solve, the adjoint
/// gradient and one Adam step, all on the trainer's device (batches of rings data are drawn
/// there too). The parameters and Adam's moments stay on the device between iterations.
///
/// Failures (a non-finite loss or gradient, a solve that fails) throw cucnf::Error naming the
/// iteration, and leave the parameters and Adam's state as they were before that iteration.
///
/// Thread-safety: one Trainer per thread.
class CUCNF_API Trainer {
 public:
  /// Validates the options (Error(invalid_argument)) and uploads the model.
  explicit Trainer(Model model, TrainOptions options = {}, Device device = Device::automatic,
                   Precision precision = Precision::float32);
  ~Trainer();
  Trainer(Trainer&&) noexcept;
  Trainer& operator=(Trainer&&) noexcept;
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  /// One iteration on a fresh rings batch of options().batch_size points (2-D models only).
  IterationReport step();
  /// One iteration on the caller's batch (n x D row-major).
  IterationReport step(const std::vector<double>& batch);

  /// The model with the current parameters (copied from the device).
  Model model() const;
  /// Adam's state (copied from the device), and its restoration for resuming a run.
  AdamState adam_state() const;
  void set_adam_state(const AdamState& state);

  std::int64_t iteration() const;
  const TrainOptions& options() const;
  Device device() const;
  std::string device_description() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cucnf
