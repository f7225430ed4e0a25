// Launchers of the CUDA discrete adjoint's kernels (see discrete_adjoint.cu).
#pragma once

#include <cuda_runtime_api.h>

#include "core/step_control.hpp"
#include "core/tableau.hpp"

namespace cucnf::detail {

/// Device memory of the steps a forward solve accepted: the state at each step's start, the
/// point its k_0 was evaluated at (only for methods where that differs from the state), and
/// its start and end times.
template <class Real>
struct StepRecord {
  Real* y = nullptr;        ///< capacity x (n x E)
  Real* fsal = nullptr;     ///< capacity x (n x E), or nullptr
  double* times = nullptr;  ///< capacity x 2: t, t_new
  int capacity = 0;
};

/// After an attempt: if it was accepted, copies its start state (and FSAL point) into slot
/// accepted - 1. Idempotent when repeated after the solve ended.
template <class Real>
void launch_record_step(StepControl* ctl, Real* const y[2], Real* const fsal[2],
                        const StepRecord<Real>& record, long long state, cudaStream_t stream);

/// The cotangents entering stage s's VJP, packed with the stage input as an adjoint-system
/// state [Y_s, kbar_s] per sample (E = D + 1 values each side):
///   kbar_s = dt b_s ybar + sum_{r > s} dt a_rs Ybar_r     (stage_bars: S x (n x E))
template <class Real>
void launch_pack_cotangent(const Real* stage_input, const Real* y_bar, const Real* stage_bars,
                           const Tableau& tab, double dt, int stage, int n, int elems, Real* packed,
                           cudaStream_t stream);

/// Ybar_s from the VJP output (adjoint layout): z part = -(a_z derivative), l part = 0, plus
/// the FSAL cotangent when `p_bar` is not null.
template <class Real>
void launch_unpack_vjp(const Real* vjp_out, const Real* p_bar, int n, int elems, Real* stage_bar,
                       cudaStream_t stream);

/// grad -= k_theta (the VJP's a_theta derivative is -dL/dtheta's contribution).
template <class Real>
void launch_subtract(Real* grad, const Real* k_theta, int count, cudaStream_t stream);

/// ybar += sum_{s >= 1} Ybar_s; then carry_fsal ? pbar = Ybar_0 : (ybar += Ybar_0, pbar = 0).
template <class Real>
void launch_step_back(Real* y_bar, Real* p_bar, const Real* stage_bars, int stages, bool carry_fsal,
                      long long count, cudaStream_t stream);

/// The cotangents of the end state [z0 / (n s^2), 1/n] per sample and each sample's loss.
template <class Real>
void launch_discrete_init(const Real* y_end, Real* y_bar, double* nll, int n, int dim,
                          double variance, cudaStream_t stream);

}  // namespace cucnf::detail
