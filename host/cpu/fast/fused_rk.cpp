#include "cpu/fast/fused_rk.hpp"

#include <algorithm>
#include <cmath>

#include "cpu/fast/block_pool.hpp"
#include "cpu/fast/hyper_simd.hpp"

namespace cucnf::detail {
namespace {

/// torchdiffeq's mixed norm from sums of squares: max over parts of sqrt(sum / count), NaN if
/// any part is NaN.
void fold_part(double sum, std::size_t count, double& norm) {
  if (std::isnan(norm)) return;
  const double rms = count ? std::sqrt(sum / double(count)) : 0.0;
  if (std::isnan(rms) || rms > norm) norm = rms;
}

// Gives a vector's memory back when it holds far more than the next solve needs (a solve of
// 1e6 samples, then the training's 300: no 100 MB kept for the backend's life).
template <class T>
void release_if_oversized(std::vector<T>& v, std::size_t needed) {
  if (v.capacity() * sizeof(T) > (std::size_t(4) << 20) && v.capacity() > 4 * needed)
    std::vector<T>().swap(v);
}

}  // namespace

template <class Real>
void FusedCnfRk<Real>::configure(const ParamLayout& layout, const double* theta, std::size_t n,
                                 bool adjoint, bool seminorm, const Tableau& tableau,
                                 const ControlParams& params, const HyperTransposed* transposed) {
  layout_ = layout;
  theta_ = theta;
  n_ = n;
  adjoint_ = adjoint;
  seminorm_ = seminorm;
  tab_ = &tableau;
  params_ = params;
  ctl_ = StepControl{};
  on_output_ = nullptr;
  if (!transposed) {
    own_transposed_.build(layout, theta);
    transposed = &own_transposed_;
  }
  transposed_ = transposed;
  const std::size_t block = block_size(n);
  blocks_ = (n + block - 1) / block;
  stride_ = blocks_ * block;
  const int D = layout.dim, S = tableau.stages;
  job_ = BlockJob<Real>{};
  job_.dim = D;
  job_.width = layout.width;
  job_.adjoint = adjoint;
  job_.stages = S;
  job_.n = n;
  job_.stride = stride_;
  job_.block = block;
  job_.rtol = Real(params.rtol);
  job_.atol = Real(params.atol);
  job_.b_is_last_stage = tableau.b_is_last_stage;
  const int R = job_.rows();
  // Norm parts: z and l for a solve; [z, l] and [a_z, a_l] for the adjoint.
  for (int r = 0; r < R; ++r) job_.row_part[r] = adjoint ? (r > D ? 1 : 0) : (r >= D ? 1 : 0);
  // assign() and resize() keep the vectors' memory: nothing is allocated when the shape repeats.
  // The state starts at zero (l of a density solve, the padding lanes, a_theta).
  const std::size_t size = std::size_t(R) * stride_;
  for (std::vector<Real>& y : y_) {
    release_if_oversized(y, size);
    y.assign(size, Real(0));
  }
  k_.resize(S);
  for (std::vector<Real>& k : k_) {
    release_if_oversized(k, size);
    k.resize(size);
  }
  // What the pool's jobs write is sized here, so that they allocate nothing but the kernel's
  // thread-local buffers on a thread's first use (a job's exception reaches the caller, but
  // after every block ran).
  hyper_.resize(S);
  for (HyperState& h : hyper_) h.resize(layout);
  packed_.resize(S);
  for (std::vector<Real>& p : packed_) p.resize(packed_size(D, layout.width));
  norm_sums_.assign(blocks_ * 2, 0.0);
  job_.norm_sums = norm_sums_.data();
  theta_parts_.clear();
  if (adjoint) {
    release_if_oversized(cotangent_sums_, blocks_ * S * cotangent_size(D, layout.width));
    cotangent_sums_.resize(blocks_ * S * cotangent_size(D, layout.width));
    job_.cotangent_sums = cotangent_sums_.data();
    y_theta_[0].assign(layout.total, 0.0);  // a_theta(t0) = 0
    y_theta_[1].resize(layout.total);       // written whole by the first step
    auto size_derivative = [&](ThetaDerivative& k) {
      k.dense.resize(layout.total);
      k.gp.resize(layout.outputs);
      k.x2.resize(layout.hidden);
    };
    k_theta_.resize(S);
    for (ThetaDerivative& k : k_theta_) size_derivative(k);
    size_derivative(probe_theta_);
    const std::size_t kd = std::size_t(layout.width) * D;
    stage_scratch_.resize(S);
    for (StageScratch& scratch : stage_scratch_) {
      scratch.total.resize(cotangent_size(D, layout.width));
      scratch.g_w.resize(kd);
      scratch.g_b.resize(layout.width);
      scratch.g_u.resize(kd);
      scratch.hyper.gp.resize(layout.outputs);
      scratch.hyper.g1.resize(layout.hidden);
      scratch.hyper.g2.resize(layout.hidden);
    }
    if (!seminorm)
      theta_parts_ = {std::size_t(layout.fc1_w), std::size_t(layout.fc1_b),
                      std::size_t(layout.fc2_w), std::size_t(layout.fc2_b),
                      std::size_t(layout.fc3_w), std::size_t(layout.fc3_b),
                      std::size_t(layout.total)};
  }
}

// The hypernetwork at a stage's time (float64), packed in the kernel's precision.
template <class Real>
void FusedCnfRk<Real>::prepare_stage(int stage, double t) {
  HyperState& hs = hyper_[stage];
  hyper_forward_simd(layout_, theta_, *transposed_, t, hs);
  const int K = layout_.width, KD = K * layout_.dim;
  Real* p = packed_[stage].data();
  for (int i = 0; i < KD; ++i) p[i] = Real(hs.p[layout_.p_w + i]);
  for (int k = 0; k < K; ++k) p[KD + k] = Real(hs.p[layout_.p_b + k]);
  for (int i = 0; i < KD; ++i) p[KD + K + i] = Real(hs.u_tilde[i]);
  for (int k = 0; k < K; ++k) p[2 * KD + K + k] = Real(hs.s[k]);
  job_.field[stage] = p;
}

template <class Real>
void FusedCnfRk<Real>::run_job() {
  parallel_blocks(blocks_, [this](std::size_t b) { run_block(job_, b); });
}

// da_theta/dt at a stage: the blocks' sums added in block order, the terms of planar_vjp that
// only scale a parameter, then minus the hypernetwork's backward pass.
template <class Real>
void FusedCnfRk<Real>::theta_derivative(int stage, ThetaDerivative& out) {
  const int K = layout_.width, D = layout_.dim, KD = K * D;
  const std::size_t G = cotangent_size(D, K);
  StageScratch& scratch = stage_scratch_[stage];
  std::vector<double>& total = scratch.total;
  std::fill(total.begin(), total.end(), 0.0);
  for (std::size_t b = 0; b < blocks_; ++b) {
    const double* sums = cotangent_sums_.data() + (b * tab_->stages + stage) * G;
    for (std::size_t g = 0; g < G; ++g) total[g] += sums[g];
  }
  const HyperState& hs = hyper_[stage];
  const double inv_k = 1.0 / K;
  const double* mz = total.data();
  const double* m = mz + KD;
  const double* ha = m + K;
  const double* ad = ha + KD;
  for (int k = 0; k < K; ++k) {
    scratch.g_b[k] = inv_k * m[k];
    for (int j = 0; j < D; ++j) {
      const int i = k * D + j;
      scratch.g_w[i] = inv_k * (mz[i] - ad[k] * hs.u_tilde[i]);
      scratch.g_u[i] = inv_k * (ha[i] - ad[k] * hs.p[layout_.p_w + i]);
    }
  }
  hyper_backward_simd(layout_, theta_, hs, scratch.g_w.data(), scratch.g_b.data(),
                      scratch.g_u.data(), -1.0, out.dense.data(), scratch.hyper);
  std::copy(scratch.hyper.gp.begin(), scratch.hyper.gp.end(), out.gp.begin());
  std::copy(hs.x2.begin(), hs.x2.end(), out.x2.begin());
}

// Writes the fc3 weight's derivative -gp x2^T into `dense` (the initial step's norms read it).
template <class Real>
void FusedCnfRk<Real>::expand_fc3(ThetaDerivative& k) const {
  const int H = layout_.hidden;
  for (int o = 0; o < layout_.outputs; ++o)
    for (int j = 0; j < H; ++j) k.dense[layout_.fc3_w + o * H + j] = -1.0 * k.gp[o] * k.x2[j];
}

template <class Real>
double FusedCnfRk<Real>::ratio_of_sums(const double* sample_sums, const double* theta_sums,
                                       std::size_t parts) const {
  const std::size_t D = layout_.dim;
  const std::size_t counts[2] = {adjoint_ ? (D + 1) * n_ : D * n_, adjoint_ ? (D + 1) * n_ : n_};
  double norm = 0.0;
  for (int p = 0; p < 2; ++p) fold_part(sample_sums[p], counts[p], norm);
  for (std::size_t p = 0; p < parts; ++p)
    fold_part(theta_sums[p], theta_parts_[p + 1] - theta_parts_[p], norm);
  return norm;
}

template <class Real>
void FusedCnfRk<Real>::start(double t0, double t_end, double step_size) {
  ctl_ = StepControl{};
  ctl_.t = t0;
  ctl_.t_end = t_end;
  ctl_.dir = t_end > t0 ? 1.0 : -1.0;
  ctl_.status = kRunning;
  const bool need_f0 = tab_->fsal || (tab_->adaptive && step_size == 0.0);
  if (need_f0) {
    std::fill(job_.eval, job_.eval + kMaxStages, false);
    job_.eval[0] = true;
    job_.step = false;
    job_.y = y_[0].data();
    job_.k[0] = k_[slot(0)].data();
    prepare_stage(0, t0);
    run_job();
    if (adjoint_) theta_derivative(0, k_theta_[slot(0)]);
    ctl_.nfe = 1;
  }
  if (tab_->adaptive && step_size == 0.0) {
    initial_step(t0);
  } else {
    ctl_.h = step_size;
    check_next_attempt(ctl_);
  }
}

// Hairer's heuristic with the solve's own error norm, as CpuRk::initial_step (once per solve:
// the samples' norms are plain loops; a_theta's, 16k values for the seed's model, in SIMD).
template <class Real>
void FusedCnfRk<Real>::initial_step(double t0) {
  const int R = rows();
  const double rtol = params_.rtol, atol = params_.atol;
  // A norm over the whole state of value(y0, f0, f1) / scale, scale = atol + rtol |y0|.
  auto norm = [&](auto value) {
    double sums[2] = {0.0, 0.0};
    for (int r = 0; r < R; ++r) {
      const Real* y0 = y_[0].data() + r * stride_;
      const Real* f0 = k_[slot(0)].data() + r * stride_;
      const Real* f1 = y_[1].data() + r * stride_;
      for (std::size_t i = 0; i < n_; ++i) {
        const double v = value(y0[i], f0[i], f1[i]) / (atol + std::fabs(double(y0[i])) * rtol);
        sums[job_.row_part[r]] += v * v;
      }
    }
    // a_theta: the values into scratch (an elementwise loop), then SIMD sums per tensor.
    double theta_sums[kThetaParts] = {};
    const std::size_t parts = theta_parts_.empty() ? 0 : theta_parts_.size() - 1;
    if (parts) {
      const double *y0 = y_theta_[0].data(), *f0 = k_theta_[slot(0)].dense.data(),
                   *f1 = probe_theta_.dense.data();
      std::vector<double>& v = theta_err_;
      v.resize(layout_.total);
      for (std::size_t i = 0; i < v.size(); ++i) v[i] = value(y0[i], f0[i], f1[i]);
      for (std::size_t p = 0; p < parts; ++p) {
        const std::size_t at = theta_parts_[p];
        theta_sums[p] =
            scaled_sum_squares(v.data() + at, y0 + at, rtol, atol, theta_parts_[p + 1] - at);
      }
    }
    return ratio_of_sums(sums, theta_sums, parts);
  };
  if (adjoint_) expand_fc3(k_theta_[slot(0)]);
  // The 0 * value terms turn an infinite derivative into NaN (see CpuRk::initial_step).
  const double d0 = norm([](double y0, double, double) { return y0; });
  const double d1 = norm([](double, double f0, double) { return f0 + 0.0 * f0; });
  hairer_begin(ctl_, d0, d1);
  if (ctl_.status != kRunning) return;
  // Probe: f1 = F(t0 + dir h0, y0 + dir h0 f0) into y_[1] (scratch until the first attempt).
  const double h0 = ctl_.hairer_h0;
  std::fill(job_.eval, job_.eval + kMaxStages, false);
  job_.eval[1] = true;
  job_.step = false;
  job_.y = y_[0].data();
  job_.k[0] = k_[slot(0)].data();
  job_.k[1] = y_[1].data();
  job_.a[1][0] = Real(ctl_.dir * h0);
  const double t1 = t0 + ctl_.dir * h0;
  prepare_stage(1, t1);
  run_job();
  if (adjoint_) {
    theta_derivative(1, probe_theta_);
    expand_fc3(probe_theta_);
  }
  ctl_.nfe += 1;
  hairer_end(ctl_, norm([](double, double f0, double f1) { return (f1 - f0) + 0.0 * f1; }),
             tab_->order);
}

// One attempt: the evaluated stages' hypernetworks, the blocks, and for the adjoint the stages'
// parameter cotangents and the a_theta update, each spread over the pool (stages and chunks of
// a_theta write disjoint outputs: the results do not depend on the threads).
template <class Real>
void FusedCnfRk<Real>::attempt() {
  if (ctl_.status != kRunning) return;
  const StepGeometry g = step_geometry(ctl_);
  const int S = tab_->stages;
  int evaluated[kMaxStages];
  double times[kMaxStages];
  int count = 0;
  for (int s = 0; s < S; ++s) {
    job_.eval[s] = !(s == 0 && tab_->fsal);
    job_.k[s] = k_[slot(s)].data();
    if (job_.eval[s]) {
      evaluated[count] = s;
      times[count++] = s == 0 ? ctl_.t : stage_time(ctl_, g, tab_->c[s]);
    }
    for (int j = 0; j < s; ++j) job_.a[s][j] = Real(g.dt * tab_->a[s][j]);
    job_.b[s] = Real(g.dt * tab_->b[s]);
    job_.e[s] = Real(g.dt * tab_->e[s]);
  }
  parallel_blocks(std::size_t(count),
                  [&](std::size_t i) { prepare_stage(evaluated[i], times[i]); });
  job_.step = true;
  job_.y = y_[ctl_.buf].data();
  job_.y_new = y_[ctl_.buf ^ 1].data();
  run_job();

  double sample_sums[2] = {0.0, 0.0};
  for (std::size_t b = 0; b < blocks_; ++b) {
    sample_sums[0] += norm_sums_[2 * b];
    sample_sums[1] += norm_sums_[2 * b + 1];
  }
  double theta_sums[kThetaParts] = {};
  std::size_t parts = 0;
  if (adjoint_) {
    parallel_blocks(std::size_t(count), [&](std::size_t i) {
      theta_derivative(evaluated[i], k_theta_[slot(evaluated[i])]);
    });
    // The dense tensors by chunks, fc3's weight from its factors (scale -1 folded into c, e).
    const double *ks[kMaxStages], *gp[kMaxStages], *x2[kMaxStages];
    double c[kMaxStages], e[kMaxStages], c_fc3[kMaxStages], e_fc3[kMaxStages];
    for (int s = 0; s < S; ++s) {
      const ThetaDerivative& k = k_theta_[slot(s)];
      ks[s] = k.dense.data();
      gp[s] = k.gp.data();
      x2[s] = k.x2.data();
      c[s] = g.dt * tab_->b[s];
      e[s] = g.dt * tab_->e[s];
      c_fc3[s] = -c[s];
      e_fc3[s] = -e[s];
    }
    std::vector<double>& err = theta_err_;
    err.resize(layout_.total);
    const double* y = y_theta_[ctl_.buf].data();
    double* y_new = y_theta_[ctl_.buf ^ 1].data();
    const std::size_t fc3_w = layout_.fc3_w, fc3_b = layout_.fc3_b, total = layout_.total;
    auto dense_step = [&](std::size_t at, std::size_t n) {
      const double* k_at[kMaxStages];
      for (int s = 0; s < S; ++s) k_at[s] = ks[s] + at;
      theta_step(y + at, k_at, c, e, S, params_.rtol, params_.atol, n, y_new + at, err.data() + at);
    };
    // fc3's weight in kRankOneTasks row ranges (as many as the pool may run at once on a
    // small machine; the sums added in range order), the dense rest alongside.
    const int P = layout_.outputs, H = layout_.hidden;
    double range_sums[kRankOneTasks] = {};
    parallel_blocks(kRankOneTasks + 1, [&](std::size_t task) {
      if (task == kRankOneTasks) {
        dense_step(0, fc3_w);
        dense_step(fc3_b, total - fc3_b);
        return;
      }
      const int begin = int(task) * P / int(kRankOneTasks);
      const int end = int(task + 1) * P / int(kRankOneTasks);
      const std::size_t at = fc3_w + std::size_t(begin) * H;
      const double* gp_at[kMaxStages];
      for (int s = 0; s < S; ++s) gp_at[s] = gp[s] + begin;
      range_sums[task] = theta_step_rank_one(y + at, gp_at, x2, c_fc3, e_fc3, S, params_.rtol,
                                             params_.atol, end - begin, H, y_new + at);
    });
    double fc3_sum = 0.0;
    for (double sum : range_sums) fc3_sum += sum;
    parts = theta_parts_.empty() ? 0 : theta_parts_.size() - 1;
    for (std::size_t p = 0; p < parts; ++p)
      theta_sums[p] = theta_parts_[p] == fc3_w ? fc3_sum
                                               : sum_squares(err.data() + theta_parts_[p],
                                                             theta_parts_[p + 1] - theta_parts_[p]);
  }
  control_update(ctl_, params_, ratio_of_sums(sample_sums, theta_sums, parts));
}

template class FusedCnfRk<float>;
template class FusedCnfRk<double>;

}  // namespace cucnf::detail
