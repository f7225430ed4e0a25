// cucnf-bench on the emulated device (CUCNF_EMULATE_GPU): no timings, which would measure the
// CPU execution layer, but the structural figures that stand in for them until a GPU is lent:
// kernel launches per step attempt, host synchronisations per solve, bytes copied each way and
// device allocations, after a warm-up, read from the layer's counters.
#include "emulated.hpp"

#include <cstdio>
#include <memory>

#include "backend.hpp"
#include "cuda/cuda_timings.hpp"
#include "simt/simt.hpp"

namespace cucnf::bench {
namespace {

struct Row {
  std::string name;
  long long attempts = 0;
  simt::Counters k;
};

template <class Fn>
Row measure(const std::string& name, Fn&& fn) {
  fn();  // warm-up: workspaces are sized here
  simt::reset_counters();
  Row r;
  r.name = name;
  r.attempts = fn();
  r.k = simt::counters();
  return r;
}

}  // namespace

void print_emulated_structure(const Model& model, Precision precision) {
  std::vector<Row> rows;
  // Host synchronisations of the training iterations after the measured one: the batches of
  // step attempts are sized from the previous iteration, so one iteration is not the whole story.
  std::vector<unsigned long long> later_syncs;
  {
    TrainOptions o;  // the seed's settings
    Trainer trainer(model, o, Device::cuda, precision);
    auto step = [&] {
      const IterationReport r = trainer.step();
      return r.forward.accepted + r.forward.rejected + r.backward.accepted + r.backward.rejected;
    };
    rows.push_back(measure("training iteration (B = 300, fehlberg2 1e-5)", step));
    for (int i = 0; i < 4; ++i) {
      simt::reset_counters();
      step();
      later_syncs.push_back(simt::counters().host_syncs);
    }
  }
  {
    Flow flow(model, Device::cuda, precision);
    const std::vector<double> x = rings(1000, 7);
    SolverOptions o;  // dopri5 1e-5
    rows.push_back(measure("log p of 1000 points (dopri5 1e-5)", [&] {
      const LogProbResult r = flow.log_prob(x, o);
      return r.stats.accepted + r.stats.rejected;
    }));
  }
  {
    // The loop cucnf-bench times on a GPU for "one stage of a fused step attempt".
    std::unique_ptr<detail::Backend> backend =
        detail::make_backend(Device::cuda, model.shape(), model.params(), precision);
    detail::CudaTimings* timings = detail::cuda_timings(*backend);
    rows.push_back(measure("stage timing loop: 20 rejected dopri5 attempts, 1000 points", [&] {
      timings->timed_stage_kernel(1000, 20);
      return 21LL;  // and the warm-up attempt
    }));
  }
  std::printf("\nStructure on the emulated device (%s, %s), per operation after warm-up:\n\n",
              describe_device(Device::cuda).c_str(),
              precision == Precision::float64 ? "float64" : "float32");
  // Kernel nodes: kernels launched directly plus the kernel nodes of the CUDA graphs that replay
  // batches of attempts; per attempt they include the start of a solve and attempts enqueued
  // past its end.
  std::printf(
      "| operation | attempts | kernel launches | graph launches | graph kernel nodes | "
      "kernels/attempt | host syncs | allocations | bytes to device | bytes to host |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    const unsigned long long kernels = r.k.launches + r.k.graph_kernel_nodes;
    std::printf("| %s | %lld | %llu | %llu | %llu | %.2f | %llu | %llu | %llu | %llu |\n",
                r.name.c_str(), r.attempts, (unsigned long long)r.k.launches,
                (unsigned long long)r.k.graph_launches, (unsigned long long)r.k.graph_kernel_nodes,
                double(kernels) / double(r.attempts > 0 ? r.attempts : 1),
                (unsigned long long)r.k.host_syncs, (unsigned long long)r.k.allocations,
                (unsigned long long)r.k.bytes_h2d, (unsigned long long)r.k.bytes_d2h);
  }
  std::printf("\nHost syncs of the next %zu training iterations:", later_syncs.size());
  for (unsigned long long n : later_syncs) std::printf(" %llu", n);
  std::printf(
      "\n\nTimings need a GPU (tests/gpu_check.sh); these counts are what the design's "
      "per-launch and per-sync costs multiply.\n");
}

}  // namespace cucnf::bench
