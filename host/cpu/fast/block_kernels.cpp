// The fused CPU kernel: one Runge-Kutta step attempt over one block of samples, SIMD across
// samples (one lane per sample), compiled for AVX-512, AVX2 and a portable fallback and picked
// at run time (Highway's dynamic dispatch).
//
// Maths (design §1, §4; the scalar reference is cpu/planar.cpp), per sample and stage s:
//   X_s = y + sum_{j<s} dt a_sj k_j                         (the stage input, kept in registers)
//   a_k = w_k . z + b_k,  h_k = tanh(a_k),  d_k = 1 - h_k^2
//   k_s = [f, -tr] = (1/K) [sum_k u~_k h_k,  -sum_k d_k s_k]
// and for the continuous adjoint, with cotangents (a_z, a_l) and m_k = d_k (a_z . u~_k +
// 2 a_l h_k s_k):  k_s also holds da_z = -(1/K) sum_k m_k w_k and da_l = 0, and the block adds
// up sum m z, sum m, sum h a_z, sum a_l d per k (the parameter cotangents before 1/K and the
// hypernetwork's backward pass, which run once per stage on the whole batch).
// After the stages: y_new = y + sum_j dt b_j k_j and the error sums of (dt sum_j e_j k_j / tol)^2.
//
// Mapping: a block is `block` consecutive samples; the loop over stages is outermost, so one
// stage's cotangent accumulators (one vector per value) stay in cache; the samples are taken two
// vectors at a time, so each accumulator is loaded and stored once for both. Every sum is formed in
// a fixed order inside the block, and the caller adds the blocks in index order: results do
// not depend on the number of threads.
//
// tanh: float32 on the AVX-512 and AVX2 targets takes Eigen's vectorised rational approximation
// over a vector's K pre-activations at once (0.27 ns a value at 3.7 ulp, tanh_eigen.hpp says why
// and what else was measured); float64 and the portable target take Highway's contrib Tanh
// inline (float64 3.6 ns at 2.4 ulp against SLEEF's 4.5 / 9.3 ns).
#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "cpu/fast/block_job.hpp"
#include "cpu/fast/tanh_eigen.hpp"

// Targets: AVX-512, AVX2 and the portable fallback (Highway 1.0 on x86-64: SCALAR); the SSE
// levels would only cost compile time.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS (HWY_SSSE3 | HWY_SSE4)
#endif
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/fast/block_kernels.cpp"
#include <hwy/foreach_target.h>  // NOLINT: re-includes this file once per target

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace cucnf::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// float32 tanh: Eigen's on the AVX-512 and AVX2 targets, applied to a vector's K pre-activations
// at once (tanh_eigen.hpp says why); Highway's inline Tanh elsewhere and for float64.
#if defined(CUCNF_EIGEN_TANH) && HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
constexpr bool kEigenTanh = true;
inline void eigen_tanh(float* x, std::size_t n) {
  tanh_inplace_avx512(x, n);
}
#elif defined(CUCNF_EIGEN_TANH) && HWY_ARCH_X86 && HWY_TARGET == HWY_AVX2
constexpr bool kEigenTanh = true;
inline void eigen_tanh(float* x, std::size_t n) {
  tanh_inplace_avx2(x, n);
}
#else
constexpr bool kEigenTanh = false;
inline void eigen_tanh(float*, std::size_t) {}
#endif

template <int DIM, bool ADJ, class Real>
void block_step(const BlockJob<Real>& job, std::size_t index) {
  const hn::ScalableTag<Real> d;
  using V = hn::Vec<decltype(d)>;
  constexpr int R = ADJ ? 2 * DIM + 2 : DIM + 1;
  const std::size_t N = hn::Lanes(d);
  const std::size_t begin = index * job.block;
  const std::size_t end = std::min(begin + job.block, job.n);
  const std::size_t stride = job.stride;
  const int K = job.width;
  const int KD = K * DIM;
  const V one = hn::Set(d, Real(1));
  const V inv_k = hn::Set(d, Real(1) / Real(K));

  // The adjoint's per-lane sums of one stage: [m z (K x D), m (K), h a_z (K x D), a_l d (K)].
  const std::size_t G = cotangent_size(DIM, K);
  thread_local std::vector<Real> acc_storage;
  if (ADJ && acc_storage.size() < G * N) acc_storage.resize(G * N);
  Real* acc = acc_storage.data();
  // Eigen's tanh runs over the K pre-activations of one or two vectors, stored here and read back.
  constexpr bool batch_tanh = kEigenTanh && std::is_same_v<Real, float>;
  thread_local std::vector<Real> h_storage;
  if (batch_tanh && h_storage.size() < std::size_t(K) * 2 * N)
    h_storage.resize(std::size_t(K) * 2 * N);
  Real* hb = h_storage.data();

  for (int s = 0; s < job.stages; ++s) {
    if (!job.eval[s]) continue;
    const Real* W = job.field[s];
    const Real* B = W + KD;
    const Real* U = B + K;
    const Real* S = U + KD;
    const bool store_input = job.step && job.b_is_last_stage && s == job.stages - 1;
    // NV consecutive vectors at i (NV = 2 while the block has two left: the adjoint's per-unit
    // sums are then loaded and stored once for both, and the field's parameters read once).
    auto run_vectors = [&](auto nv, std::size_t i, bool first) {
      constexpr int NV = decltype(nv)::value;
      V x[NV][R];
      for (int v = 0; v < NV; ++v) {
        const std::size_t at = i + v * N;
        for (int r = 0; r < R; ++r) x[v][r] = hn::LoadU(d, job.y + r * stride + at);
        for (int j = 0; j < s; ++j) {
          if (job.a[s][j] == Real(0)) continue;
          const V c = hn::Set(d, job.a[s][j]);
          for (int r = 0; r < R; ++r)
            x[v][r] = hn::MulAdd(c, hn::LoadU(d, job.k[j] + r * stride + at), x[v][r]);
        }
        if (store_input)
          for (int r = 0; r < R; ++r) hn::StoreU(x[v][r], d, job.y_new + r * stride + at);
      }

      V f[NV][DIM], vz[NV][DIM], tr[NV];
      for (int v = 0; v < NV; ++v) {
        for (int j = 0; j < DIM; ++j) f[v][j] = vz[v][j] = hn::Zero(d);
        tr[v] = hn::Zero(d);
      }
      auto pre_activation = [&](int k, int v) {
        V a = hn::Set(d, B[k]);
        for (int j = 0; j < DIM; ++j) a = hn::MulAdd(hn::Set(d, W[k * DIM + j]), x[v][j], a);
        return a;
      };
      if constexpr (batch_tanh) {
        for (int k = 0; k < K; ++k)
          for (int v = 0; v < NV; ++v)
            hn::StoreU(pre_activation(k, v), d, hb + (std::size_t(k) * NV + v) * N);
        eigen_tanh(hb, std::size_t(K) * NV * N);
      }
      for (int k = 0; k < K; ++k) {
        V h[NV], dk[NV];
        for (int v = 0; v < NV; ++v) {
          if constexpr (batch_tanh)
            h[v] = hn::LoadU(d, hb + (std::size_t(k) * NV + v) * N);
          else
            h[v] = hn::Tanh(d, pre_activation(k, v));
          dk[v] = hn::NegMulAdd(h[v], h[v], one);  // 1 - h^2
          for (int j = 0; j < DIM; ++j)
            f[v][j] = hn::MulAdd(hn::Set(d, U[k * DIM + j]), h[v], f[v][j]);
          tr[v] = hn::MulAdd(hn::Set(d, S[k]), dk[v], tr[v]);
        }
        if constexpr (ADJ) {
          V m[NV];
          for (int v = 0; v < NV; ++v) {
            V q = hn::Zero(d);
            for (int j = 0; j < DIM; ++j)
              q = hn::MulAdd(x[v][DIM + 1 + j], hn::Set(d, U[k * DIM + j]), q);
            const V al2s = hn::Mul(hn::Set(d, Real(2) * S[k]), x[v][2 * DIM + 1]);
            m[v] = hn::Mul(dk[v], hn::MulAdd(al2s, h[v], q));
            for (int j = 0; j < DIM; ++j)
              vz[v][j] = hn::MulAdd(m[v], hn::Set(d, W[k * DIM + j]), vz[v][j]);
          }
          // sum += sum_v a_v b_v, the vectors in order
          auto add_products = [&](Real* p, auto a, auto b) {
            V total = first ? hn::Zero(d) : hn::LoadU(d, p);
            for (int v = 0; v < NV; ++v) total = hn::MulAdd(a(v), b(v), total);
            hn::StoreU(total, d, p);
          };
          Real* mz = acc + std::size_t(k * DIM) * N;
          Real* ms = acc + std::size_t(KD + k) * N;
          Real* ha = acc + std::size_t(KD + K + k * DIM) * N;
          Real* ad = acc + std::size_t(2 * KD + K + k) * N;
          for (int j = 0; j < DIM; ++j) {
            add_products(
                mz + j * N, [&](int v) { return m[v]; }, [&](int v) { return x[v][j]; });
            add_products(
                ha + j * N, [&](int v) { return h[v]; }, [&](int v) { return x[v][DIM + 1 + j]; });
          }
          add_products(
              ms, [&](int v) { return m[v]; }, [&](int) { return one; });
          add_products(
              ad, [&](int v) { return x[v][2 * DIM + 1]; }, [&](int v) { return dk[v]; });
        }
      }
      for (int v = 0; v < NV; ++v) {
        Real* out = job.k[s] + i + v * N;
        for (int j = 0; j < DIM; ++j) hn::StoreU(hn::Mul(f[v][j], inv_k), d, out + j * stride);
        hn::StoreU(hn::Neg(hn::Mul(tr[v], inv_k)), d, out + DIM * stride);
        if constexpr (ADJ) {
          for (int j = 0; j < DIM; ++j)
            hn::StoreU(hn::Neg(hn::Mul(vz[v][j], inv_k)), d, out + (DIM + 1 + j) * stride);
          hn::StoreU(hn::Zero(d), d, out + (2 * DIM + 1) * stride);
        }
      }
    };
    std::size_t i = begin;
    for (; i + N < end; i += 2 * N) run_vectors(std::integral_constant<int, 2>(), i, i == begin);
    if (i < end) run_vectors(std::integral_constant<int, 1>(), i, i == begin);
    if (ADJ) {
      double* sums = job.cotangent_sums + (index * job.stages + s) * G;
      for (std::size_t g = 0; g < G; ++g)
        sums[g] = double(hn::GetLane(hn::SumOfLanes(d, hn::LoadU(d, acc + g * N))));
    }
  }

  if (!job.step) return;
  V part[2] = {hn::Zero(d), hn::Zero(d)};
  const V rtol = hn::Set(d, job.rtol), atol = hn::Set(d, job.atol);
  for (std::size_t i = begin; i < end; i += N) {
    const auto valid = hn::FirstN(d, end - i);
    for (int r = 0; r < R; ++r) {
      const std::size_t at = r * stride + i;
      const V y = hn::LoadU(d, job.y + at);
      V y_new;
      if (job.b_is_last_stage) {
        y_new = hn::LoadU(d, job.y_new + at);
      } else {
        y_new = y;
        for (int j = 0; j < job.stages; ++j)
          if (job.b[j] != Real(0))
            y_new = hn::MulAdd(hn::Set(d, job.b[j]), hn::LoadU(d, job.k[j] + at), y_new);
        hn::StoreU(y_new, d, job.y_new + at);
      }
      V err = hn::Zero(d);
      for (int j = 0; j < job.stages; ++j)
        if (job.e[j] != Real(0))
          err = hn::MulAdd(hn::Set(d, job.e[j]), hn::LoadU(d, job.k[j] + at), err);
      const V tol = hn::MulAdd(rtol, hn::Max(hn::Abs(y), hn::Abs(y_new)), atol);
      // The 0 * y_new term turns a non-finite new state into NaN even where err is 0.
      const V q = hn::IfThenElseZero(valid, hn::MulAdd(hn::Zero(d), y_new, hn::Div(err, tol)));
      V& p = part[job.row_part[r]];
      p = hn::MulAdd(q, q, p);
    }
  }
  for (int p = 0; p < 2; ++p)
    job.norm_sums[index * 2 + p] = double(hn::GetLane(hn::SumOfLanes(d, part[p])));
}

template <class Real>
void block_dispatch(const BlockJob<Real>& job, std::size_t index) {
  switch (job.dim * 2 + (job.adjoint ? 1 : 0)) {
    case 2:
      return block_step<1, false>(job, index);
    case 3:
      return block_step<1, true>(job, index);
    case 4:
      return block_step<2, false>(job, index);
    case 5:
      return block_step<2, true>(job, index);
    case 6:
      return block_step<3, false>(job, index);
    case 7:
      return block_step<3, true>(job, index);
    case 8:
      return block_step<4, false>(job, index);
    case 9:
      return block_step<4, true>(job, index);
    default:
      return;  // the caller never builds a job for larger D (kMaxFusedDim)
  }
}

void BlockFloat(const BlockJob<float>& job, std::size_t index) {
  block_dispatch(job, index);
}
void BlockDouble(const BlockJob<double>& job, std::size_t index) {
  block_dispatch(job, index);
}
const char* TargetName() {
  return hwy::TargetName(HWY_TARGET);
}

}  // namespace HWY_NAMESPACE
}  // namespace cucnf::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace cucnf::detail {

HWY_EXPORT(BlockFloat);
HWY_EXPORT(BlockDouble);
HWY_EXPORT(TargetName);

void run_block(const BlockJob<float>& job, std::size_t index) {
  HWY_DYNAMIC_DISPATCH(BlockFloat)(job, index);
}
void run_block(const BlockJob<double>& job, std::size_t index) {
  HWY_DYNAMIC_DISPATCH(BlockDouble)(job, index);
}
const char* simd_target_name() {
  return HWY_DYNAMIC_DISPATCH(TargetName)();
}

std::size_t block_size(std::size_t n) {
  // n / kBlockSamples blocks, at least 1 and at most 64 (each block ends with lane sums of the
  // adjoint's cotangents: 384 for the seed's model, about 32 samples' work), each at most 512
  // samples (a block's stage rows stay in L1; above 32768 samples this cap makes more blocks) and
  // a multiple of 16 lanes. The demo's batch of 300 is 2 blocks (160 + 140): one for each core
  // of a 2-core machine.
  const std::size_t blocks = std::clamp<std::size_t>(n / kBlockSamples, 1, 64);
  const std::size_t rounded = ((n + blocks - 1) / blocks + 15) / 16 * 16;
  return std::clamp<std::size_t>(rounded, 16, 512);
}

}  // namespace cucnf::detail
#endif  // HWY_ONCE
