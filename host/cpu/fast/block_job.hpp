// One Runge-Kutta step attempt of a CNF system, cut into blocks of samples: what the CPU's SIMD
// kernels (cpu/fast/block_kernels.cpp) run, one block per call, any block on any thread.
//
// The per-sample state is stored by rows (structure of arrays): row r holds one component of
// every sample, n values padded to `stride`. Rows: [z_0 .. z_{D-1}, l] for a density or
// sampling solve; [z, l, a_z, a_l] (2D + 2 rows) for the continuous adjoint.
#pragma once

#include <cstddef>

#include "core/tableau.hpp"

namespace cucnf::detail {

/// Largest state dimension D with a fused SIMD kernel; larger models run the scalar reference.
inline constexpr int kMaxFusedDim = 4;
inline constexpr int kMaxRows = 2 * kMaxFusedDim + 2;

/// Samples per block at least, below 64 blocks: a block of the seed's model is about 10 us of
/// work a stage, against well under a microsecond to hand it to a polling worker.
inline constexpr std::size_t kBlockSamples = 128;

/// Samples per block: a multiple of every target's lane count (16 float32 lanes on AVX-512),
/// chosen from n alone so that results do not depend on the number of threads.
std::size_t block_size(std::size_t n);

/// Floats per stage in the packed field parameters: [W (K x D), B (K), U~ (K x D), s (K)].
inline std::size_t packed_size(int dim, int width) {
  return std::size_t(width) * (2 * dim + 2);
}

/// Doubles per block and stage of the adjoint's batch sums: [sum m z (K x D), sum m (K),
/// sum h a_z (K x D), sum a_l d (K)], with m_k = d_k (a_z . u~_k + 2 a_l h_k s_k) (planar.hpp).
inline std::size_t cotangent_size(int dim, int width) {
  return std::size_t(width) * (2 * dim + 2);
}

template <class Real>
struct BlockJob {
  int dim = 0;
  int width = 0;
  bool adjoint = false;
  int stages = 0;
  std::size_t n = 0;       ///< samples
  std::size_t stride = 0;  ///< values per row (a multiple of block)
  std::size_t block = 0;   ///< samples per block
  const Real* y = nullptr;
  Real* y_new = nullptr;                ///< written when `step`
  Real* k[kMaxStages] = {};             ///< stage derivatives, rows x stride each
  bool eval[kMaxStages] = {};           ///< stages to evaluate (k_0 is carried over with FSAL)
  const Real* field[kMaxStages] = {};   ///< packed field parameters of each evaluated stage
  Real a[kMaxStages][kMaxStages] = {};  ///< dt * a_sj: stage s's input is y + sum_j a_sj k_j
  bool step = false;                    ///< also form y_new = y + sum_j b_j k_j and the error sums
  Real b[kMaxStages] = {};              ///< dt * b_j
  Real e[kMaxStages] = {};              ///< dt * e_j (error estimate weights)
  bool b_is_last_stage = false;         ///< y_new is the last stage's input
  Real rtol = 0;
  Real atol = 0;
  int row_part[kMaxRows] = {};  ///< error-norm part (0 or 1) of each row
  /// Per block: [part 0, part 1] sums of (err / (atol + rtol max(|y|, |y_new|)))^2 over the
  /// block's samples (when `step`).
  double* norm_sums = nullptr;
  /// Adjoint, per block and stage: the batch sums above (cotangent_size values).
  double* cotangent_sums = nullptr;

  int rows() const { return adjoint ? 2 * dim + 2 : dim + 1; }
};

/// Runs block `index` of a job (dispatched to the best SIMD target of this CPU).
void run_block(const BlockJob<float>& job, std::size_t index);
void run_block(const BlockJob<double>& job, std::size_t index);

/// The SIMD target the kernels run on here ("AVX3", "AVX2", "EMU128", ...).
const char* simd_target_name();

}  // namespace cucnf::detail
