// Runge-Kutta solves of a CNF on the CPU with the fused SIMD kernel, the batch spread over
// threads block by block (cpu/fast/block_pool.hpp): the fast CPU backend's "Ops" for the step
// driver (core/integrate.hpp). Same controller, tableaus and error norm as the reference CpuRk.
//
// Precision: the per-sample state and arithmetic in Real (float or double); time, the
// controller, the hypernetwork and the adjoint's parameter cotangent a_theta in double.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "core/param_layout.hpp"
#include "core/step_control.hpp"
#include "core/tableau.hpp"
#include "cpu/fast/block_job.hpp"
#include "cpu/fast/hyper_simd.hpp"
#include "cpu/hypernet.hpp"

namespace cucnf::detail {

template <class Real>
class FusedCnfRk {
 public:
  /// A density or sampling solve ([z, l]; error-norm parts z and l), or with `adjoint` the
  /// augmented system [z, l, a_z, a_l, a_theta] integrated against the forward direction
  /// (parts [z, l], [a_z, a_l] and each tensor of a_theta unless `seminorm`).
  FusedCnfRk(const ParamLayout& layout, const double* theta, std::size_t n, bool adjoint,
             bool seminorm, const Tableau& tableau, const ControlParams& params) {
    configure(layout, theta, n, adjoint, seminorm, tableau, params);
  }
  FusedCnfRk() = default;

  /// Sets up a new solve as the constructor does, reusing this object's memory (released first
  /// where it is far larger than needed): a backend keeps one per kind of solve, so a warm
  /// training iteration allocates no solver state. The state is zero afterwards; `tableau` must
  /// outlive the solve. `transposed`, if given, was built from
  /// `theta` and outlives the solve (a backend builds it once per parameter vector for both of
  /// an iteration's solves); otherwise the solver builds its own.
  void configure(const ParamLayout& layout, const double* theta, std::size_t n, bool adjoint,
                 bool seminorm, const Tableau& tableau, const ControlParams& params,
                 const HyperTransposed* transposed = nullptr);

  int rows() const { return job_.rows(); }
  /// Row r of the state (n values): fill them before start(), read them after a solve.
  Real* row(int r) { return y_[ctl_.buf].data() + std::size_t(r) * stride_; }
  /// a_theta (adjoint only), the parameter vector's length.
  double* theta_cotangent() { return y_theta_[ctl_.buf].data(); }

  void on_output(std::function<void(std::size_t index)> fn) { on_output_ = std::move(fn); }

  // Ops for integrate().
  void start(double t0, double t_end, double step_size);
  void attempt();
  StepControl poll() const { return ctl_; }
  int attempts_per_poll() const { return 1; }
  void next_segment(double t_end) { begin_segment(ctl_, t_end); }
  void record_output(std::size_t index) {
    if (on_output_) on_output_(index);
  }

 private:
  int slot(int stage) const { return stage_slot(stage, tab_->stages, ctl_.k0_slot); }
  void prepare_stage(int stage, double t);
  void run_job();
  struct ThetaDerivative;
  void theta_derivative(int stage, ThetaDerivative& out);
  void expand_fc3(ThetaDerivative& k) const;
  double ratio_of_sums(const double* sample_sums, const double* theta_sums,
                       std::size_t parts) const;
  void initial_step(double t0);

  ParamLayout layout_;
  const double* theta_ = nullptr;
  std::size_t n_ = 0, stride_ = 0, blocks_ = 0;
  bool adjoint_ = false, seminorm_ = false;
  const Tableau* tab_ = nullptr;
  ControlParams params_;
  StepControl ctl_;
  BlockJob<Real> job_;
  std::vector<Real> y_[2];
  std::vector<std::vector<Real>> k_;
  const HyperTransposed* transposed_ = nullptr;  // the hypernetwork's weights for its forward
  HyperTransposed own_transposed_;               // built here when the caller gives none
  std::vector<HyperState> hyper_;                // per stage
  std::vector<std::vector<Real>> packed_;        // per stage
  std::vector<double> norm_sums_, cotangent_sums_;
  // Adjoint: a_theta and its stage derivatives (by slot, and the initial step's probe). A
  // derivative keeps every tensor but fc3's weight in `dense`; that one is the outer product
  // -gp x2^T (P x H, 90% of the parameters), kept as its factors: no stage writes or reads
  // P x H values but the update itself (theta_step_rank_one).
  struct ThetaDerivative {
    std::vector<double>
        dense;               // layout_.total values; the fc3 weight's region only after expand_fc3
    std::vector<double> gp;  // P: the hypernetwork's output cotangent
    std::vector<double> x2;  // H: its last hidden layer
  };
  std::vector<double> y_theta_[2];
  std::vector<ThetaDerivative> k_theta_;
  ThetaDerivative probe_theta_;
  std::vector<double> theta_err_;
  // A stage's parameter cotangent (theta_derivative), one per stage so that stages run at once.
  struct StageScratch {
    std::vector<double> total, g_w, g_b, g_u;
    HyperBackwardScratch hyper;
  };
  std::vector<StageScratch> stage_scratch_;
  static constexpr std::size_t kThetaParts = 6;    // tensors of a_theta
  static constexpr std::size_t kRankOneTasks = 2;  // row ranges of fc3's weight update
  std::vector<std::size_t> theta_parts_;           // tensor boundaries of a_theta (offsets)
  std::function<void(std::size_t)> on_output_;
};

extern template class FusedCnfRk<float>;
extern template class FusedCnfRk<double>;

}  // namespace cucnf::detail
