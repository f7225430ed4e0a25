// cucnf sample: draws from the model with their log-densities.
#include <chrono>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common_flags.hpp"
#include "csv.hpp"

namespace cucnf::cli {
namespace {

constexpr long double kMaxSamples = 1e9;

struct SampleOptions {
  std::string model;
  std::size_t count = 0;
  std::uint64_t seed = 0;
  std::string output = "-";
  SolverFlags solver;
  DeviceFlags device;
};

void run_sample(const SampleOptions& o) {
  Flow flow(Model::load(o.model), device(o.device), precision(o.device));
  const SolverOptions options = solver_options(o.solver);
  const auto start = std::chrono::steady_clock::now();
  const SampleResult r = flow.sample(o.count, o.seed, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int d = flow.model().shape().dim;
  std::vector<std::string> header;
  std::vector<std::vector<double>> columns;
  for (int j = 0; j < d; ++j) {
    header.push_back("x" + std::to_string(j));
    std::vector<double> column(o.count);
    for (std::size_t i = 0; i < o.count; ++i) column[i] = r.x[i * d + j];
    columns.push_back(std::move(column));
  }
  header.push_back("log_prob");
  columns.push_back(r.log_prob);
  write_table(o.output, header, columns);
  std::cerr << "cucnf sample: " << o.count << " samples on " << describe(flow) << ", "
            << method_name(options.method) << ": " << describe(r.stats) << ", " << seconds
            << " s\n";
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto o = std::make_shared<SampleOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sample", "draw samples x (rows of x0..x{D-1}, log_prob) by the sampling direction t0 -> t1");
  cmd->add_option("--model", o->model, "model file (JSON)")->required();
  cmd->add_option("-n,--count", o->count, "number of samples")
      ->required()
      ->check(whole_number(1, kMaxSamples));
  cmd->add_option("--seed", o->seed, "seed of the base draws")
      ->check(whole_number(0, kMaxSeed))
      ->capture_default_str();
  cmd->add_option("--output", o->output, "CSV to write ('-' = stdout)")->capture_default_str();
  add_solver_flags(*cmd, o->solver, "dopri5");
  add_device_flags(*cmd, o->device);
  cmd->callback([o] { run_sample(*o); });
}

}  // namespace cucnf::cli
