// cucnf logp: the log-density of every row of a CSV file.
#include <chrono>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common_flags.hpp"
#include "csv.hpp"

namespace cucnf::cli {
namespace {

struct LogpOptions {
  std::string model;
  std::string input;
  std::string output = "-";
  bool with_z0 = false;
  SolverFlags solver;
  DeviceFlags device;
};

void run_logp(const LogpOptions& o) {
  Flow flow(Model::load(o.model), device(o.device), precision(o.device));
  const SolverOptions options = solver_options(o.solver);
  const Points points = read_points(o.input, flow.model().shape().dim);
  const auto start = std::chrono::steady_clock::now();
  const LogProbResult r = flow.log_prob(points.values, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<std::string> header = {"log_prob"};
  std::vector<std::vector<double>> columns = {r.log_prob};
  if (o.with_z0) {
    const int d = flow.model().shape().dim;
    for (int j = 0; j < d; ++j) {
      header.push_back("z0_" + std::to_string(j));
      std::vector<double> column(points.rows);
      for (std::size_t i = 0; i < points.rows; ++i) column[i] = r.z0[i * d + j];
      columns.push_back(std::move(column));
    }
    header.push_back("delta_logp");
    columns.push_back(r.delta_logp);
  }
  write_table(o.output, header, columns);
  std::cerr << "cucnf logp: " << points.rows << " points on " << describe(flow) << ", "
            << method_name(options.method) << ": " << describe(r.stats) << ", " << seconds
            << " s\n";
}

}  // namespace

void add_logp_command(CLI::App& app) {
  auto o = std::make_shared<LogpOptions>();
  CLI::App* cmd =
      app.add_subcommand("logp", "log p(x) of each row of a CSV file (density direction t1 -> t0)");
  cmd->add_option("--model", o->model, "model file (JSON)")->required();
  cmd->add_option("--input", o->input, "CSV of points, one per row ('-' = stdin)")->required();
  cmd->add_option("--output", o->output, "CSV to write ('-' = stdout)")->capture_default_str();
  cmd->add_flag("--with-z0", o->with_z0, "also write z(t0) and the log-density change");
  add_solver_flags(*cmd, o->solver, "dopri5");
  add_device_flags(*cmd, o->device);
  cmd->callback([o] { run_logp(*o); });
}

}  // namespace cucnf::cli
