// SolveWorkspace::prepare: sizes a solve's device memory from its shape (see solve_workspace.hpp).
#include "cuda/solve_workspace.hpp"

#include <algorithm>

#include "cuda_check.hpp"

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
  err_partials.reserve(std::size_t(std::max(d.warps, d.attempt_blocks)) * 4, stream);
  fin_partials.reserve(std::size_t(d.finalize_blocks) * kNormSums, stream);
  done.reserve(1, stream);
  // The last-block hand-off counts finished blocks from 0; a kernel's last block resets it.
  CUCNF_CUDA_CHECK(cudaMemsetAsync(done.data(), 0, sizeof(unsigned int), stream));
  if (output_count > 0) outputs.reserve(state * output_count, stream);
  SolveBuffers<Real> b;
  b.ctl = ctl.data();
  b.y[0] = y[0].data();
  b.y[1] = y[1].data();
  b.k = k.data();
  b.err_partials = err_partials.data();
  b.fin_partials = fin_partials.data();
  b.done = done.data();
  b.stage_params = stage_params.data();
  b.hyper_cache = hyper_cache.data();
  b.theta_model = model_theta;
  if (d.adjoint) {
    theta[0].reserve(l.total, stream);
    theta[1].reserve(l.total, stream);
    k_theta.reserve(std::size_t(l.total) * tab.stages, stream);
    const std::size_t partials =
        std::max(std::size_t(d.warps), std::size_t(tab.stages) * std::size_t(d.attempt_blocks));
    param_partials.reserve(partials * param_partials_stride(l), stream);
    reduced.reserve(std::size_t(sets) * param_partials_stride(l), stream);
    gp.reserve(std::size_t(sets) * l.outputs, stream);
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
