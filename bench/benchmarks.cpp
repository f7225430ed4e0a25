#include "benchmarks.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "backend.hpp"
#include "cuda/cuda_timings.hpp"
#include "cuda/device_buffer.hpp"

namespace cucnf::bench {
namespace {

using detail::Backend;
using detail::CudaTimings;

// Units of work per sample and RK stage: K tanh evaluations (the rest is FMAs that hide behind
// the special-function unit). MUFU issues 16 per clock per SM; an accurate tanh (ex2 + rcp)
// costs two MUFU operations, tanh.approx one (design §6).
double stage_floor_ms(const DeviceFacts& d, std::size_t samples, int width, int mufu_per_tanh) {
  const double per_second = d.multiprocessors * d.clock_ghz * 1e9 * 16.0 / mufu_per_tanh;
  return 1e3 * double(samples) * width / per_second;
}

struct Series {
  std::vector<double> ms, nfe_f, nfe_b, steps, cpu_ms;
  void add(double t, const SolveStats& f, const SolveStats& b) {
    ms.push_back(t);
    nfe_f.push_back(double(f.nfe));
    nfe_b.push_back(double(b.nfe));
    steps.push_back(double(f.accepted + f.rejected + b.accepted + b.rejected));
  }
};

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

Measurement summarise(const std::string& name, const Series& s) {
  Measurement m;
  m.name = name;
  m.repeats = int(s.ms.size());
  m.median_ms = median(s.ms);
  m.cpu_ms = median(s.cpu_ms);
  m.min_ms = *std::min_element(s.ms.begin(), s.ms.end());
  m.max_ms = *std::max_element(s.ms.begin(), s.ms.end());
  m.nfe_forward = median(s.nfe_f);
  m.nfe_backward = median(s.nfe_b);
  m.steps = median(s.steps);
  return m;
}

std::unique_ptr<Backend> make_backend(const Model& model, const Settings& s) {
  return detail::make_backend(s.cuda ? Device::cuda : Device::cpu, model.shape(), model.params(),
                              s.precision);
}

CudaTimings& timings(Backend& b) {
  CudaTimings* t = detail::cuda_timings(b);
  if (!t) throw Error(ErrorKind::invalid_argument, "this benchmark needs the CUDA backend");
  return *t;
}

// CPU time of the whole process (all its threads), ms: with other work on the machine, what an
// operation costs on idle cores (one thread: its time on one core).
double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

double host_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

DeviceFacts device_facts() {
  DeviceFacts d;
  int device = 0, khz = 0;
  cudaDeviceProp prop{};
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaGetDeviceProperties(&prop, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device) != cudaSuccess) {
    cudaGetLastError();
    return d;
  }
  d.name = prop.name;
  d.multiprocessors = prop.multiProcessorCount;
  d.clock_ghz = khz * 1e-6;
  return d;
}

Measurement train_iteration(const Model& model, const std::string& label, const Settings& s) {
  const TrainOptions seed;  // the seed's settings
  detail::TrainStepRequest r;
  r.n = 300;
  r.solver = seed.solver;
  r.solver.method = s.train_method;
  r.gradient = seed.gradient;
  r.adam = seed.adam;
  const detail::FlowSpec spec{model.t0(), model.t1(), model.base_variance()};
  std::unique_ptr<Backend> backend = make_backend(model, s);
  Series series;
  detail::device_memory().reset_peak();
  for (int i = 0; i < s.warmup + s.repeats; ++i) {
    backend->set_params(model.params());  // every repeat times the same model
    r.data_stream = std::uint64_t(i);     // a fresh batch, as in training
    r.adam_step = 1;
    double ms;
    SolveStats f, b;
    if (s.cuda) {
      const CudaTimings::Timed t = timings(*backend).timed_train_step(r, spec);
      ms = t.milliseconds;
      f = t.forward;
      b = t.backward;
    } else {
      const double cpu = process_cpu_ms();
      const auto start = std::chrono::steady_clock::now();
      const detail::TrainStepResult t = backend->train_step(r, spec);
      ms = host_ms(start);
      if (i >= s.warmup) series.cpu_ms.push_back(process_cpu_ms() - cpu);
      f = t.forward;
      b = t.backward;
    }
    if (i >= s.warmup) series.add(ms, f, b);
  }
  Measurement m = summarise(
      "train iteration, " + label + " (B=300, " + method_name(s.train_method) + " 1e-5, adjoint)",
      series);
  m.points = 300;
  m.peak_mb = detail::device_memory().peak / 1e6;
  if (s.cuda) {
    m.floor_ms = m.steps * 1.5e-3;
    m.floor_note = "1.5 us of arithmetic per step at B=300 (design 6, H100)";
  }
  return m;
}

Measurement log_density(const Model& model, std::size_t n, const Settings& s) {
  SolverOptions o;  // dopri5, 1e-5
  const detail::FlowSpec spec{model.t0(), model.t1(), model.base_variance()};
  std::unique_ptr<Backend> backend = make_backend(model, s);
  Series series;
  detail::device_memory().reset_peak();
  const std::vector<double> points = s.cuda ? std::vector<double>() : rings(n, 11);
  std::vector<double> z(s.cuda ? 0 : 2 * n), l(s.cuda ? 0 : n);
  for (int i = 0; i < s.warmup + s.repeats; ++i) {
    double ms;
    SolveStats f;
    if (s.cuda) {
      const CudaTimings::Timed t = timings(*backend).timed_log_density(n, 11, o, spec);
      ms = t.milliseconds;
      f = t.forward;
    } else {
      const double cpu = process_cpu_ms();
      const auto start = std::chrono::steady_clock::now();
      f = backend->solve(points.data(), n, {spec.t1, spec.t0}, o, z.data(), l.data(), "density");
      ms = host_ms(start);
      if (i >= s.warmup) series.cpu_ms.push_back(process_cpu_ms() - cpu);
    }
    if (i >= s.warmup) series.add(ms, f, SolveStats{});
  }
  Measurement m = summarise("log p of " + std::to_string(n) + " points (dopri5 1e-5)", series);
  m.points = n;
  m.peak_mb = detail::device_memory().peak / 1e6;
  if (s.cuda) {
    const DeviceFacts d = device_facts();
    m.floor_ms = m.nfe_forward * stage_floor_ms(d, n, model.shape().width, 2);
    m.floor_note = "accurate tanh: 2 MUFU ops, 16/clk/SM, per stage";
  }
  return m;
}

Measurement stage_kernel(const Model& model, std::size_t n, const Settings& s) {
  if (!s.cuda) throw Error(ErrorKind::invalid_argument, "the stage kernel runs on the GPU");
  std::unique_ptr<Backend> backend = make_backend(model, s);
  CudaTimings& t = timings(*backend);
  Series series;
  detail::device_memory().reset_peak();
  for (int i = 0; i < s.warmup + s.repeats; ++i) {
    const double ms = t.timed_stage_kernel(n, 20);
    if (i >= s.warmup) series.add(ms, SolveStats{}, SolveStats{});
  }
  Measurement m =
      summarise("one stage of a fused step attempt, " + std::to_string(n) + " samples", series);
  m.points = n;
  m.peak_mb = detail::device_memory().peak / 1e6;
  m.floor_ms = stage_floor_ms(device_facts(), n, model.shape().width, 2);
  m.floor_note = "accurate tanh (ex2 + rcp): 2 MUFU ops at 16/clk/SM";
  return m;
}

}  // namespace cucnf::bench
