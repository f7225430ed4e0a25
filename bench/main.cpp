// cucnf-bench: the library's numbers, measured the same way every time, next to the hardware
// floor and the peers (design §6). Needs a GPU unless --device cpu.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "benchmarks.hpp"
#include "emulated.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
  using namespace cucnf;
  CLI::App app{
      "cucnf-bench: GPU benchmarks of cucnf (training iteration, log-density, stage "
      "kernel), medians after warm-up, next to the floor and the peers"};
  std::string device = "cuda", precision = "float32", json_path, model_path;
  std::vector<double> sizes = {1e3, 1e4, 1e5, 1e6, 1e7};
  bench::Settings settings;
  bool skip_train = false, skip_logp = false, skip_kernel = false;
  app.add_option("--device", device, "cuda, or cpu to time the CPU backend")->capture_default_str();
  app.add_option("--precision", precision, "float32 or float64")->capture_default_str();
  std::string train_method = "fehlberg2";
  app.add_option("--train-method", train_method, "solver of the training iteration")
      ->capture_default_str();
  app.add_option("--json", json_path, "also write the results as JSON to this file");
  app.add_option("--model", model_path,
                 "a trained model (e.g. results/model.json) for the late-training iteration");
  app.add_option("--sizes", sizes, "log-density batch sizes (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--warmup", settings.warmup, "untimed repeats first")->capture_default_str();
  app.add_option("--repeats", settings.repeats, "timed repeats (median reported)")
      ->capture_default_str();
  app.add_flag("--skip-train", skip_train, "skip the training-iteration benchmarks");
  app.add_flag("--skip-logp", skip_logp, "skip the log-density benchmarks");
  app.add_flag("--skip-kernel", skip_kernel, "skip the stage-kernel benchmark");
  CLI11_PARSE(app, argc, argv);

  try {
    settings.cuda = parse_device(device) != Device::cpu;
    if (settings.cuda && cuda_device_count() == 0) {
      std::fprintf(stderr,
                   "cucnf-bench: no CUDA device found; the benchmarks measure the GPU (use "
                   "--device cpu to time the CPU backend instead)\n");
      return 2;
    }
    settings.train_method = parse_method(train_method);
    settings.precision = precision == "float64" ? Precision::float64 : Precision::float32;
#if defined(CUCNF_BENCH_EMULATED)
    if (settings.cuda) {  // the CPU execution layer: counts, not timings
      bench::print_emulated_structure(
          model_path.empty() ? Model::initialize({2, 64, 32}, 0) : Model::load(model_path),
          settings.precision);
      return 0;
    }
#endif
    if (settings.repeats < 1 || settings.warmup < 0)
      throw Error(ErrorKind::invalid_argument, "--repeats must be >= 1 and --warmup >= 0");
    const Model initial = Model::initialize({2, 64, 32}, 0);
    std::vector<bench::Measurement> results;
    auto run = [&](bench::Measurement m) {
      std::fprintf(stderr, "  %s: %.3f ms (CPU time %.3f ms)\n", m.name.c_str(), m.median_ms,
                   m.cpu_ms);
      results.push_back(std::move(m));
    };
    if (!skip_train) {
      run(bench::train_iteration(initial, "initial model", settings));
      if (!model_path.empty())
        run(bench::train_iteration(Model::load(model_path), "trained model", settings));
    }
    if (!skip_logp) {
      const Model model = model_path.empty() ? initial : Model::load(model_path);
      for (double n : sizes) {
        if (!settings.cuda && n > 1e5) continue;  // minutes each on a CPU
        run(bench::log_density(model, std::size_t(n), settings));
      }
    }
    if (!skip_kernel && settings.cuda) run(bench::stage_kernel(initial, 1000000, settings));

    const std::string where =
        settings.cuda ? bench::device_facts().name +
                            (settings.precision == Precision::float64 ? " (float64)" : " (float32)")
                      : Flow(initial, Device::cpu, settings.precision).device_description();
    bench::print_table(where, settings.cuda, results);
    if (!json_path.empty()) {
      std::ofstream out(json_path);
      out << bench::to_json(where, settings.cuda, results).dump(2) << "\n";
      if (!out) throw Error(ErrorKind::io, "cannot write '" + json_path + "'");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cucnf-bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
