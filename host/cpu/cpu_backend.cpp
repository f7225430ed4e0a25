// The CPU backend: the fused SIMD kernel over threads (cpu/fast) in float32 or float64 for
// solves and the continuous adjoint; the scalar float64 reference (CpuRk over CnfSystem and
// AdjointSystem) for the discrete adjoint and for models wider than kMaxFusedDim.
#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "backend.hpp"
#include "core/adam.hpp"
#include "core/base_density.hpp"
#include "core/control_params.hpp"
#include "core/integrate.hpp"
#include "core/param_layout.hpp"
#include "cpu/cnf_systems.hpp"
#include "cpu/discrete_adjoint.hpp"
#include "cpu/fast/block_pool.hpp"
#include "cpu/fast/fused_rk.hpp"
#include "cucnf/rings.hpp"

namespace cucnf::detail {
namespace {

class CpuBackend final : public Backend {
 public:
  CpuBackend(const ModelShape& shape, const std::vector<double>& params, Precision precision)
      : shape_(shape),
        layout_(make_param_layout(shape)),
        theta_(params),
        precision_(precision),
        fused_(shape.dim <= kMaxFusedDim) {}

  std::string description() const override {
    if (!fused_) return "CPU (float64, scalar reference: D > " + std::to_string(kMaxFusedDim) + ")";
    return std::string("CPU (") + (precision_ == Precision::float32 ? "float32" : "float64") +
           ", " + simd_target_name() + ", " + std::to_string(cpu_threads()) + " threads)";
  }

  void set_params(const std::vector<double>& params) override {
    theta_ = params;
    transposed_current_ = false;
  }

  SolveStats solve(const double* z_start, std::size_t n, const std::vector<double>& times,
                   const SolverOptions& options, double* out_z, double* out_l,
                   const std::string& label) override {
    if (fused_)
      return precision_ == Precision::float32
                 ? fused_solve<float>(z_start, n, times, options, out_z, out_l, label)
                 : fused_solve<double>(z_start, n, times, options, out_z, out_l, label);
    const std::size_t nd = n * layout_.dim;
    CnfSystem system(layout_, theta_.data(), n);
    const ControlParams params = control_params(options);
    CpuRk rk(system, tableau(options.method), params);
    std::copy(z_start, z_start + nd, rk.initial_state());
    std::fill(rk.initial_state() + nd, rk.initial_state() + nd + n, 0.0);
    rk.on_output([&](std::size_t index, const double* y) {
      std::copy(y, y + nd, out_z + (index - 1) * nd);
      std::copy(y + nd, y + nd + n, out_l + (index - 1) * n);
    });
    return integrate(rk, params, times, options.step_size, label);
  }

  GradientResult gradient(const double* x, std::size_t n, const FlowSpec& spec,
                          const SolverOptions& options,
                          const GradientOptions& gradient_options) override {
    if (gradient_options.adjoint == Adjoint::discrete)
      return discrete_adjoint_gradient(layout_, theta_.data(), x, n, spec, options);
    if (fused_)
      return precision_ == Precision::float32
                 ? fused_adjoint<float>(x, n, spec, options, gradient_options)
                 : fused_adjoint<double>(x, n, spec, options, gradient_options);
    return continuous_adjoint(x, n, spec, options, gradient_options);
  }

  TrainStepResult train_step(const TrainStepRequest& r, const FlowSpec& spec) override {
    const std::vector<double> drawn =
        r.batch ? std::vector<double>() : rings(r.n, r.data_seed, r.data_stream);
    const double* batch = r.batch ? r.batch : drawn.data();
    const GradientResult g = gradient(batch, r.n, spec, r.solver, r.gradient);
    check_finite_gradient(g.loss, g.grad, shape_);
    if (adam_m_.empty()) {
      adam_m_.assign(theta_.size(), 0.0);
      adam_v_.assign(theta_.size(), 0.0);
    }
    const AdamStep step = adam_step(r.adam.lr, r.adam.beta1, r.adam.beta2, r.adam.eps, r.adam_step);
    for (std::size_t i = 0; i < theta_.size(); ++i)
      adam_update(theta_[i], adam_m_[i], adam_v_[i], g.grad[i], step);
    transposed_current_ = false;
    return {g.loss, g.forward, g.backward};
  }

  std::vector<double> params() override { return theta_; }

  AdamState adam_state() override {
    AdamState s;
    s.m = adam_m_.empty() ? std::vector<double>(theta_.size(), 0.0) : adam_m_;
    s.v = adam_v_.empty() ? std::vector<double>(theta_.size(), 0.0) : adam_v_;
    return s;
  }

  void set_adam_state(const AdamState& state) override {
    adam_m_ = state.m;
    adam_v_ = state.v;
  }

 private:
  template <class Real>
  SolveStats fused_solve(const double* z_start, std::size_t n, const std::vector<double>& times,
                         const SolverOptions& options, double* out_z, double* out_l,
                         const std::string& label) {
    const int D = layout_.dim;
    const ControlParams params = control_params(options);
    FusedCnfRk<Real>& rk = workspace<Real>().solve;
    rk.configure(layout_, theta_.data(), n, false, false, tableau(options.method), params,
                 &transposed());
    for (int j = 0; j < D; ++j) {
      Real* row = rk.row(j);
      for (std::size_t i = 0; i < n; ++i) row[i] = Real(z_start[i * D + j]);
    }
    rk.on_output([&](std::size_t index) {
      double* z = out_z + (index - 1) * n * D;
      double* l = out_l + (index - 1) * n;
      for (int j = 0; j < D; ++j) {
        const Real* row = rk.row(j);
        for (std::size_t i = 0; i < n; ++i) z[i * D + j] = double(row[i]);
      }
      const Real* row = rk.row(D);
      for (std::size_t i = 0; i < n; ++i) l[i] = double(row[i]);
    });
    return integrate(rk, params, times, options.step_size, label);
  }

  // As continuous_adjoint, on the fused kernel.
  template <class Real>
  GradientResult fused_adjoint(const double* x, std::size_t n, const FlowSpec& spec,
                               const SolverOptions& options,
                               const GradientOptions& gradient_options) {
    const int D = layout_.dim;
    GradientResult result;
    std::vector<double> z0(n * D), l0(n);
    result.forward =
        fused_solve<Real>(x, n, {spec.t1, spec.t0}, options, z0.data(), l0.data(), "density solve");
    result.loss = nll_loss(z0.data(), l0.data(), n, D, spec.base_variance);
    check_finite_loss(result.loss);
    const ControlParams params = adjoint_params(options, gradient_options);
    FusedCnfRk<Real>& rk = workspace<Real>().adjoint;
    rk.configure(layout_, theta_.data(), n, true, gradient_options.seminorm,
                 tableau(options.method), params, &transposed());
    const double inv_n = 1.0 / double(n);
    for (int j = 0; j < D; ++j) {
      Real* z = rk.row(j);
      Real* a_z = rk.row(D + 1 + j);
      for (std::size_t i = 0; i < n; ++i) {
        z[i] = Real(z0[i * D + j]);
        a_z[i] = Real(z0[i * D + j] * inv_n / spec.base_variance);
      }
    }
    std::copy(l0.begin(), l0.end(), rk.row(D));
    std::fill(rk.row(2 * D + 1), rk.row(2 * D + 1) + n, Real(inv_n));
    result.backward = integrate(rk, params, {spec.t0, spec.t1}, options.step_size, "adjoint solve");
    result.grad.assign(rk.theta_cotangent(), rk.theta_cotangent() + layout_.total);
    return result;
  }

  static ControlParams adjoint_params(const SolverOptions& options,
                                      const GradientOptions& gradient_options) {
    const double rtol =
        gradient_options.adjoint_rtol > 0 ? gradient_options.adjoint_rtol : options.rtol;
    const double atol =
        gradient_options.adjoint_atol > 0 ? gradient_options.adjoint_atol : options.atol;
    return control_params(options, rtol, atol);
  }

  // Forward density solve, then the augmented system from t0 back to t1 (design §4).
  GradientResult continuous_adjoint(const double* x, std::size_t n, const FlowSpec& spec,
                                    const SolverOptions& options,
                                    const GradientOptions& gradient_options) {
    const std::size_t nd = n * layout_.dim;
    GradientResult result;
    std::vector<double> z0(nd), l0(n);
    result.forward =
        solve(x, n, {spec.t1, spec.t0}, options, z0.data(), l0.data(), "density solve");
    result.loss = nll_loss(z0.data(), l0.data(), n, layout_.dim, spec.base_variance);
    check_finite_loss(result.loss);  // the adjoint of a non-finite loss means nothing

    AdjointSystem system(layout_, theta_.data(), n, gradient_options.seminorm);
    const ControlParams params = adjoint_params(options, gradient_options);
    CpuRk rk(system, tableau(options.method), params);
    double* y = rk.initial_state();
    std::fill(y, y + system.size(), 0.0);
    std::copy(z0.begin(), z0.end(), y + system.z_offset());
    std::copy(l0.begin(), l0.end(), y + system.l_offset());
    const double inv_n = 1.0 / double(n);
    for (std::size_t i = 0; i < nd; ++i)
      y[system.az_offset() + i] = z0[i] * inv_n / spec.base_variance;
    std::fill(y + system.al_offset(), y + system.al_offset() + n, inv_n);
    result.backward = integrate(rk, params, {spec.t0, spec.t1}, options.step_size, "adjoint solve");
    const double* a_theta = rk.state() + system.theta_offset();
    result.grad.assign(a_theta, a_theta + layout_.total);
    return result;
  }

  // The fused solvers' memory, kept between calls so that a warm training iteration allocates
  // no solver state (per precision; the adjoint's density solve uses `solve`).
  template <class Real>
  struct Workspace {
    FusedCnfRk<Real> solve, adjoint;
  };
  template <class Real>
  Workspace<Real>& workspace() {
    if constexpr (std::is_same_v<Real, float>)
      return workspace_f32_;
    else
      return workspace_f64_;
  }

  // The hypernetwork's weights as its SIMD forward reads them, built once per parameter vector
  // (an iteration's density solve and adjoint share it).
  const HyperTransposed& transposed() {
    if (!transposed_current_) {
      transposed_.build(layout_, theta_.data());
      transposed_current_ = true;
    }
    return transposed_;
  }

  ModelShape shape_;
  ParamLayout layout_;
  Workspace<float> workspace_f32_;
  Workspace<double> workspace_f64_;
  HyperTransposed transposed_;
  bool transposed_current_ = false;  // false whenever theta_ changes
  std::vector<double> theta_;
  std::vector<double> adam_m_, adam_v_;  // empty until the first update
  Precision precision_;
  bool fused_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const ModelShape& shape,
                                          const std::vector<double>& params, Precision precision) {
  return std::make_unique<CpuBackend>(shape, params, precision);
}

}  // namespace cucnf::detail
