// SolveWorkspace::prepare: sizes a solve's device memory from its shape (see solve_workspace.hpp).
#include "cuda/solve_workspace.hpp"

#include <algorithm>

namespace cucnf::detail {

template <class Real>
SolveBuffers<Real> SolveWorkspace<Real>::prepare(const SolveDims& d, const ParamLayout& l,
                                                 const Tableau& tab, std::size_t output_count,
                                                 const Real* model_theta, cudaStream_t stream) {
  const std::size_t state = std::size_t(d.n) * d.elems;
  ctl.reserve(1, stream);
  const int sets = std::max(tab.stages, 2);
  y[0].reserve(state, stream);
  y[1].reserve(state, stream);
  k.reserve(state * tab.stages, stream);
  stage_params.reserve(std::size_t(sets) * stage_params_stride(l), stream);
  hyper_cache.reserve(std::size_t(sets) * hyper_cache_stride(l), stream);
  err_partials.reserve(std::size_t(d.warps) * 4, stream);
  if (output_count > 0) outputs.reserve(state * output_count, stream);
  SolveBuffers<Real> b;
  b.ctl = ctl.data();
  b.y[0] = y[0].data();
  b.y[1] = y[1].data();
  b.k = k.data();
  b.err_partials = err_partials.data();
  b.stage_params = stage_params.data();
  b.hyper_cache = hyper_cache.data();
  b.theta_model = model_theta;
  if (d.adjoint) {
    theta[0].reserve(l.total, stream);
    theta[1].reserve(l.total, stream);
    k_theta.reserve(std::size_t(l.total) * tab.stages, stream);
    param_partials.reserve(std::size_t(d.warps) * param_partials_stride(l), stream);
    reduced.reserve(param_partials_stride(l), stream);
    gp.reserve(l.outputs, stream);
    b.theta[0] = theta[0].data();
    b.theta[1] = theta[1].data();
    b.k_theta = k_theta.data();
    b.param_partials = param_partials.data();
    b.reduced = reduced.data();
    b.gp = gp.data();
  }
  return b;
}

template struct SolveWorkspace<float>;
template struct SolveWorkspace<double>;

}  // namespace cucnf::detail
