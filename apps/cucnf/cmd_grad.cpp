// cucnf grad: the loss -mean log p of a CSV of points and its gradient, as JSON in the model
// file's parameter layout.
#include <chrono>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common_flags.hpp"
#include "csv.hpp"
#include "files.hpp"
#include "json_out.hpp"

namespace cucnf::cli {
namespace {

struct GradOptions {
  std::string model;
  std::string input;
  std::string output = "-";
  std::string adjoint = "continuous";
  bool seminorm = false;
  double adjoint_rtol = 0.0;
  double adjoint_atol = 0.0;
  SolverFlags solver;
  DeviceFlags device;
};

void run_grad(const GradOptions& o) {
  GradientOptions g;
  g.adjoint = parse_adjoint(o.adjoint);
  g.seminorm = o.seminorm;
  g.adjoint_rtol = o.adjoint_rtol;
  g.adjoint_atol = o.adjoint_atol;
  Flow flow(Model::load(o.model), device(o.device), precision(o.device));
  const SolverOptions options = solver_options(o.solver);
  const Points points = read_points(o.input, flow.model().shape().dim);
  const auto start = std::chrono::steady_clock::now();
  const GradientResult r = flow.gradient(points.values, options, g);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json out;
  out["loss"] = r.loss;
  out["points"] = points.rows;
  out["method"] = method_name(options.method);
  out["adjoint"] = o.adjoint;
  out["seminorm"] = o.seminorm;
  out["forward"] = stats_json(r.forward);
  out["backward"] = stats_json(r.backward);
  out["grad"] = parameters_json(flow.model().shape(), r.grad);
  write_text(o.output, out.dump() + "\n");
  std::cerr << "cucnf grad: " << points.rows << " points on " << describe(flow) << ", "
            << method_name(options.method) << ", " << o.adjoint << " adjoint: loss " << r.loss
            << "; forward " << describe(r.forward) << "; backward " << describe(r.backward) << "; "
            << seconds << " s\n";
}

}  // namespace

void add_grad_command(CLI::App& app) {
  auto o = std::make_shared<GradOptions>();
  CLI::App* cmd = app.add_subcommand(
      "grad", "loss -mean log p(x) of a CSV of points and dL/dtheta (JSON, model file layout)");
  cmd->add_option("--model", o->model, "model file (JSON)")->required();
  cmd->add_option("--input", o->input, "CSV of points, one per row ('-' = stdin)")->required();
  cmd->add_option("--output", o->output, "JSON to write ('-' = stdout)")->capture_default_str();
  cmd->add_option("--adjoint", o->adjoint,
                  "continuous (backward solve, memory independent of steps) or discrete "
                  "(exact gradient of the forward solve; memory grows with its steps)")
      ->capture_default_str();
  cmd->add_flag("--seminorm", o->seminorm, "leave a_theta out of the backward error norm");
  cmd->add_option("--adjoint-rtol", o->adjoint_rtol, "backward rtol (0 = --rtol)");
  cmd->add_option("--adjoint-atol", o->adjoint_atol, "backward atol (0 = --atol)");
  add_solver_flags(*cmd, o->solver, "dopri5");
  add_device_flags(*cmd, o->device);
  cmd->callback([o] { run_grad(*o); });
}

}  // namespace cucnf::cli
