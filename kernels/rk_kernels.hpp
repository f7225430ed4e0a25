// Launchers of the Runge-Kutta kernels of the CUDA backend, callable from plain C++.
//
// A solve keeps its whole controller state on the device (StepControl, core/step_control.hpp).
// One step attempt of a system with S stages is:
//   hyper_forward     W, B, U~, s_k at every stage time of the attempt (one block per time)
//   stage(s)          for each stage: the stage input y + dt sum_j a_sj k_j, the field and
//                     its exact trace (and for the adjoint the vector-Jacobian products with
//                     their batch reduction), fused; the last stage also forms y_new and the
//                     per-warp sums of (err / tol)^2
//   hyper_backward(s) adjoint only: the stage's batch-reduced parameter cotangent through the
//                     hypernetwork, giving the a_theta derivative (one block)
//   finalize          sums the per-warp partials in a fixed order (deterministic), adds the
//                     a_theta parts, and runs control_update(): accept/reject, next h
// Every kernel reads the controller first and returns at once when the solve is not running,
// so the host may enqueue attempts ahead without waiting. Launchers never synchronise.
#pragma once

#include <cuda_runtime_api.h>

#include "core/param_layout.hpp"
#include "core/step_control.hpp"
#include "core/tableau.hpp"

namespace cucnf::detail {

enum class StageMode : int {
  initial = 0,  ///< k_0 = F(t, y) into slot 0, with the sums Hairer's first half needs
  probe = 1,    ///< Hairer's probe F(t + dir h0, y + dir h0 k_0) into slot 1
  attempt = 2,  ///< stage s of a step attempt
  vjp = 3,      ///< discrete adjoint: F and its VJP at y (= [Y_s, cotangent]) with the
                ///< parameters of stage s, into slot 0
};

/// Sizes of one solve on the device. The state is stored per sample, `elems` values each:
/// [z (D), l] for the CNF system, [z (D), l, a_z (D), a_l] for the adjoint system.
struct SolveDims {
  int n = 0;      ///< samples
  int elems = 0;  ///< E: state values per sample
  int part0 = 0;  ///< per-sample values in the first error-norm part (the rest: second)
  int warps = 0;  ///< warps of the per-sample kernels (each loops over samples)
  int warps_per_block = 8;
  bool adjoint = false;
  bool theta_in_norm = false;  ///< adjoint: a_theta's tensors count in the error norm
};

/// Device pointers of one solve; Real is float or double.
template <class Real>
struct SolveBuffers {
  StepControl* ctl = nullptr;
  Real* y[2] = {nullptr, nullptr};  ///< n x E state buffers (ctl->buf selects the current)
  Real* k = nullptr;                ///< S slots of n x E stage derivatives
  double* err_partials = nullptr;   ///< warps x 4 per-warp sums
  Real* stage_params = nullptr;     ///< max(S,2) x [W (KD) | B (K) | U~ (KD) | s (K)]
  Real* hyper_cache = nullptr;      ///< max(S,2) x [t | x1 (H) | x2 (H) | p (P)]
  // Adjoint system only.
  Real* theta[2] = {nullptr, nullptr};  ///< a_theta buffers (parameter count each)
  Real* k_theta = nullptr;              ///< S slots of a_theta derivatives
  Real* param_partials = nullptr;       ///< warps x [g_w (KD) | g_b (K) | r (K) | g_u (KD)]
  Real* reduced = nullptr;              ///< K(2D+2): the partials summed over warps
  Real* gp = nullptr;                   ///< P: cotangent of the hypernetwork output
  const Real* theta_model = nullptr;    ///< the model's parameters
  // Discrete adjoint only (nullptr otherwise).
  Real* fsal_point[2] = {nullptr, nullptr};  ///< where k_0 of y[b]'s next step is evaluated
  Real* stage_inputs = nullptr;              ///< S x (n x E): the stage inputs Y_s
};

/// Per-stage sizes derived from a layout.
CUCNF_HD inline int stage_params_stride(const ParamLayout& l) {
  return l.width * (2 * l.dim + 2);
}
CUCNF_HD inline int hyper_cache_stride(const ParamLayout& l) {
  return 1 + 2 * l.hidden + l.outputs;
}
CUCNF_HD inline int param_partials_stride(const ParamLayout& l) {
  return l.width * (2 * l.dim + 2);
}
/// Dynamic shared memory of the per-sample kernels: per warp the stage input (E), the field
/// outputs (2D: f and, for the adjoint, the VJP) and two 32-unit chunks (h_k, m_k).
inline size_t stage_shared_bytes(const SolveDims& d, const ParamLayout& l, size_t real_size) {
  return size_t(d.warps_per_block) * (d.elems + 2 * l.dim + 64) * real_size;
}

template <class Real>
void launch_hyper_forward(const SolveBuffers<Real>& b, const ParamLayout& l, const Tableau& tab,
                          StageMode mode, cudaStream_t stream);

template <class Real>
void launch_stage(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                  const Tableau& tab, const ControlParams& p, StageMode mode, int stage,
                  cudaStream_t stream);

template <class Real>
void launch_hyper_backward(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                           const Tableau& tab, StageMode mode, int stage, cudaStream_t stream);

template <class Real>
void launch_finalize(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                     const Tableau& tab, const ControlParams& p, StageMode mode, bool hairer,
                     cudaStream_t stream);

}  // namespace cucnf::detail
