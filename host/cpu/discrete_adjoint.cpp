#include "cpu/discrete_adjoint.hpp"

#include <algorithm>
#include <vector>

#include "core/base_density.hpp"
#include "core/control_params.hpp"
#include "core/integrate.hpp"
#include "cpu/cnf_systems.hpp"
#include "cpu/planar.hpp"

namespace cucnf::detail {
namespace {

struct SavedStep {
  double t;
  double t_new;
  std::vector<double> y;           // state at the start of the step
  std::vector<double> fsal_point;  // where this step's k_0 was evaluated
};

}  // namespace

GradientResult discrete_adjoint_gradient(const ParamLayout& layout, const double* theta,
                                         const double* x, std::size_t n, const FlowSpec& spec,
                                         const SolverOptions& options) {
  const Tableau& tab = tableau(options.method);
  const ControlParams params = control_params(options);
  const int D = layout.dim;
  const std::size_t nd = n * D, size = n * (D + 1);

  // Forward solve, saving the accepted steps.
  CnfSystem system(layout, theta, n);
  CpuRk rk(system, tab, params);
  std::copy(x, x + nd, rk.initial_state());
  std::fill(rk.initial_state() + nd, rk.initial_state() + size, 0.0);
  std::vector<SavedStep> steps;
  rk.on_accepted_step([&](double t, double t_new, const double* y, const double* point) {
    steps.push_back(
        {t, t_new, std::vector<double>(y, y + size), std::vector<double>(point, point + size)});
  });
  GradientResult result;
  result.forward = integrate(rk, params, {spec.t1, spec.t0}, options.step_size, "density solve");
  const double* end = rk.state();
  result.loss = nll_loss(end, end + nd, n, D, spec.base_variance);
  check_finite_loss(result.loss);

  // Cotangents of the end state: dL/dz0 = z0 / (n s^2), dL/dl0 = 1/n.
  std::vector<double> y_bar(size), p_bar(size, 0.0), y_bar_next(size);
  for (std::size_t i = 0; i < nd; ++i) y_bar[i] = end[i] / (double(n) * spec.base_variance);
  for (std::size_t i = nd; i < size; ++i) y_bar[i] = 1.0 / double(n);
  result.grad.assign(layout.total, 0.0);

  const int S = tab.stages;
  std::vector<HyperState> hyper(S);
  std::vector<std::vector<double>> stage_y(S, std::vector<double>(size));
  std::vector<std::vector<double>> stage_k(S, std::vector<double>(size));
  std::vector<std::vector<double>> stage_bar(S, std::vector<double>(size));
  std::vector<double> k_bar(size);
  std::vector<double> g_w(std::size_t(layout.width) * D), g_b(layout.width), g_u(g_w.size());
  std::vector<double> sum_ul_d;
  HyperBackwardScratch scratch;

  for (std::size_t m = steps.size(); m-- > 0;) {
    const SavedStep& st = steps[m];
    const double dt = st.t_new - st.t;
    auto time_of = [&](int s) { return tab.c[s] == 1.0 ? st.t_new : st.t + tab.c[s] * dt; };
    // Replay the stages.
    stage_y[0] = st.fsal_point;
    for (int s = 0; s < S; ++s) {
      if (s > 0) {
        stage_y[s] = st.y;
        for (int j = 0; j < s; ++j)
          for (std::size_t i = 0; i < size; ++i) stage_y[s][i] += dt * tab.a[s][j] * stage_k[j][i];
      }
      hyper_forward(layout, theta, time_of(s), hyper[s]);
      planar_field(layout, hyper[s], n, stage_y[s].data(), stage_k[s].data(),
                   stage_k[s].data() + nd);
    }
    // Pull the cotangents back, last stage first.
    for (int s = S - 1; s >= 0; --s) {
      for (std::size_t i = 0; i < size; ++i) {
        double acc = dt * tab.b[s] * y_bar[i];
        for (int r = s + 1; r < S; ++r) acc += dt * tab.a[r][s] * stage_bar[r][i];
        k_bar[i] = acc;
      }
      std::fill(g_w.begin(), g_w.end(), 0.0);
      std::fill(g_b.begin(), g_b.end(), 0.0);
      std::fill(g_u.begin(), g_u.end(), 0.0);
      std::vector<double>& bar = stage_bar[s];
      planar_vjp(layout, hyper[s], n, stage_y[s].data(), k_bar.data(), k_bar.data() + nd,
                 bar.data(), g_w.data(), g_b.data(), g_u.data(), sum_ul_d);
      std::fill(bar.begin() + nd, bar.end(), 0.0);  // F does not depend on l
      hyper_backward(layout, theta, hyper[s], g_w.data(), g_b.data(), g_u.data(), 1.0,
                     result.grad.data(), scratch);
      if (s == S - 1 && tab.fsal)  // this stage's input is the next step's FSAL point
        for (std::size_t i = 0; i < size; ++i) bar[i] += p_bar[i];
    }
    // Y_s = y + ..., so every stage input's cotangent flows into y; k_0's input is y itself
    // unless it was carried over from the previous step (FSAL, m > 0).
    y_bar_next = y_bar;
    for (int s = 1; s < S; ++s)
      for (std::size_t i = 0; i < size; ++i) y_bar_next[i] += stage_bar[s][i];
    if (tab.fsal && m > 0) {
      p_bar = stage_bar[0];
    } else {
      for (std::size_t i = 0; i < size; ++i) y_bar_next[i] += stage_bar[0][i];
      std::fill(p_bar.begin(), p_bar.end(), 0.0);
    }
    y_bar.swap(y_bar_next);
  }
  result.backward.accepted = static_cast<std::int64_t>(steps.size());
  result.backward.nfe = 2 * S * result.backward.accepted;  // replayed stages + their VJPs
  return result;
}

}  // namespace cucnf::detail
