// Launchers of the Runge-Kutta kernels of the CUDA backend, callable from plain C++.
//
// A solve keeps its whole controller state on the device (StepControl, core/step_control.hpp).
// One step attempt of a system with S stages is, for D <= 4 and K within a warp's reach
// (SolveDims::group_lanes > 0):
//   hyper_forward     W, B, U~, s_k at every stage time of the attempt (one block per time)
//   attempt           every stage of every sample: stage inputs, field, exact trace (adjoint:
//                     the vector-Jacobian products and per-block parameter partials per stage),
//                     y_new and per-block sums of (err / tol)^2; the CNF's last block finishes
//                     the attempt (norm, control_update: accept/reject, next h)
//   hyper_backward    adjoint only: per stage (one block each) the partials summed over the
//                     blocks, through the hypernetwork, giving the a_theta derivatives
//   finalize          adjoint only: a_theta's update spread over blocks; the last block sums
//                     the error partials in a fixed order and runs control_update
// so 2 launches for the CNF and 4 for the adjoint. Otherwise (large D or K, and the discrete
// adjoint's replays) an attempt is hyper_forward, then per stage the warp-per-sample stage
// kernel (and hyper_backward), then finalize.
// Every kernel reads the controller first and returns at once when the solve is not running,
// so the host may enqueue attempts ahead without waiting. Launchers never synchronise.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

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

/// Parameter tensors of the hypernetwork (fc1..fc3, weight and bias): the parts of a_theta's
/// error norm when the adjoint counts it.
constexpr int kThetaTensors = 6;
/// Summed squares an attempt's norm needs: the per-sample sums for the two state parts (and, for
/// the start of a solve, the derivative's), then two per parameter tensor.
constexpr int kNormSums = 4 + 2 * kThetaTensors;

/// Sizes of one solve on the device. The state is stored per sample, `elems` values each:
/// [z (D), l] for the CNF system, [z (D), l, a_z (D), a_l] for the adjoint system.
struct SolveDims {
  int n = 0;      ///< samples
  int elems = 0;  ///< E: state values per sample
  int part0 = 0;  ///< per-sample values in the first error-norm part (the rest: second)
  int warps = 0;  ///< warps of the per-sample kernels (each loops over samples)
  int warps_per_block = 8;
  // The whole-attempt kernel (0 lanes: not used for this shape).
  int group_lanes = 0;      ///< G: lanes per sample, a power of two <= 32
  int attempt_threads = 0;  ///< threads per block
  int attempt_blocks = 0;   ///< blocks (their groups loop over the samples)
  int finalize_blocks = 1;  ///< blocks of finalize (the a_theta update)
  bool adjoint = false;
  bool theta_in_norm = false;  ///< adjoint: a_theta's tensors count in the error norm
};

/// Device pointers of one solve; Real is float or double.
template <class Real>
struct SolveBuffers {
  StepControl* ctl = nullptr;
  Real* y[2] = {nullptr, nullptr};  ///< n x E state buffers (ctl->buf selects the current)
  Real* k = nullptr;                ///< S slots of n x E stage derivatives
  double* err_partials = nullptr;   ///< per warp (or block of the attempt kernel) x 4 sums
  double* fin_partials = nullptr;   ///< finalize's blocks x kNormSums sums
  unsigned int* done = nullptr;     ///< blocks finished so far (the last resets it to 0)
  Real* stage_params = nullptr;     ///< max(S,2) x [W (KD) | B (K) | U~ (KD) | s (K)]
  Real* hyper_cache = nullptr;      ///< max(S,2) x [t | x1 (H) | x2 (H) | p (P)]
  // Adjoint system only.
  Real* theta[2] = {nullptr, nullptr};  ///< a_theta buffers (parameter count each)
  Real* k_theta = nullptr;              ///< S slots of a_theta derivatives
  /// [g_w (KD) | g_b (K) | r (K) | g_u (KD)] per warp (stage kernel), or per stage and block
  /// of the attempt kernel
  Real* param_partials = nullptr;
  Real* reduced = nullptr;            ///< S x K(2D+2): a stage's partials summed
  Real* gp = nullptr;                 ///< S x P: cotangent of the hypernetwork output
  const Real* theta_model = nullptr;  ///< the model's parameters
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

/// The whole-attempt kernel's blocks have at most this many threads.
constexpr int kAttemptMaxThreads = 256;
/// Units a lane of the attempt kernel owns (registers: its adjoint partials are U (2D + 2)).
CUCNF_HD constexpr int attempt_units_per_lane(std::size_t real_size, bool adjoint) {
  return (adjoint ? 4 : 8) / (real_size == 8 ? 2 : 1);
}
/// Dynamic shared memory of the attempt kernel: a stage's parameters, and for the adjoint one
/// partial per warp.
inline size_t attempt_shared_bytes(const SolveDims& d, const ParamLayout& l, size_t real_size) {
  const size_t warps = d.adjoint ? size_t(d.attempt_threads) / 32 : 0;
  return (stage_params_stride(l) + warps * param_partials_stride(l)) * real_size;
}

/// Blocks of the attempt kernel an SM holds at once for this shape (d.attempt_threads set):
/// CUDA's occupancy calculator.
int attempt_blocks_per_sm(const SolveDims& d, const ParamLayout& l, size_t real_size);

template <class Real>
void launch_attempt(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                    const Tableau& tab, const ControlParams& p, cudaStream_t stream);

template <class Real>
void launch_hyper_forward(const SolveBuffers<Real>& b, const ParamLayout& l, const Tableau& tab,
                          StageMode mode, cudaStream_t stream);

template <class Real>
void launch_stage(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                  const Tableau& tab, const ControlParams& p, StageMode mode, int stage,
                  cudaStream_t stream);

/// The stage's summed parameter partials through the hypernetwork, into its a_theta slot: the
/// stage kernel's per-warp partials of one stage (after launch_stage), or, with `attempt`, the
/// attempt kernel's per-block partials of every stage the attempt evaluated (one block each).
template <class Real>
void launch_hyper_backward(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                           const Tableau& tab, StageMode mode, int stage, cudaStream_t stream);
template <class Real>
void launch_hyper_backward_attempt(const SolveBuffers<Real>& b, const SolveDims& d,
                                   const ParamLayout& l, const Tableau& tab, cudaStream_t stream);

/// Ends an evaluation whose error sums are in `err_entries` entries of err_partials (the
/// stage kernel's warps or the attempt kernel's blocks).
template <class Real>
void launch_finalize(const SolveBuffers<Real>& b, const SolveDims& d, const ParamLayout& l,
                     const Tableau& tab, const ControlParams& p, StageMode mode, bool hairer,
                     int err_entries, cudaStream_t stream);

}  // namespace cucnf::detail
