// cucnf rings: the bundled demo. Trains a CNF on the rings data with the seed's settings
// (design §2), then writes the model, the loss curve, the learned density and an animation of
// samples flowing from the base distribution to the rings.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <type_traits>

#include "atomic_file.hpp"
#include "commands.hpp"
#include "common_flags.hpp"
#include "files.hpp"
#include "plot/figures.hpp"
#include "rings/evaluate.hpp"
#include "rings/loss_log.hpp"
#include "rings/progress.hpp"
#include "rings/training_state.hpp"

namespace cucnf::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

// The ranges of the counts (flags and saved settings alike). --width and --hidden: each at
// most the model file's limit, 2^24.
constexpr long double kMaxModelSize = 16777216;
constexpr long double kMaxIterations = 1e12;
constexpr long double kMaxBatch = 1e7;
constexpr long double kMaxEvalPoints = 1e9;

// The target density is exact and cheap: drawn finer than the model's grid.
constexpr int kTargetResolution = 300;

extern "C" void on_interrupt(int) {
  g_interrupted = 1;
}

struct RingsOptions {
  std::int64_t iterations = 1000;
  std::size_t batch = 300;
  SolverFlags solver;
  std::string adjoint = "continuous";
  bool seminorm = false;
  double lr = 1e-2, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  int width = 64, hidden = 32;
  double t0 = 0.0, t1 = 10.0, base_variance = 0.1;
  std::uint64_t seed = 0, data_seed = 0;
  DeviceFlags device;
  std::string out = "results";
  std::string resume;
  std::int64_t save_every = 100;
  int log_every = 10;
  std::size_t eval_points = 100000;
  std::string eval_method = "dopri5";
  int grid = 100;
  int frames = 40;
  std::size_t frame_samples = 2000;
  std::map<std::string, const CLI::Option*> flags;  ///< settings key -> its flag
};

nlohmann::json settings_json(const RingsOptions& o) {
  return {{"iterations", o.iterations},
          {"batch", o.batch},
          {"method", o.solver.method},
          {"rtol", o.solver.rtol},
          {"atol", o.solver.atol},
          {"adjoint", o.adjoint},
          {"seminorm", o.seminorm},
          {"lr", o.lr},
          {"beta1", o.beta1},
          {"beta2", o.beta2},
          {"eps", o.eps},
          {"width", o.width},
          {"hidden", o.hidden},
          {"t0", o.t0},
          {"t1", o.t1},
          {"base_variance", o.base_variance},
          {"seed", o.seed},
          {"data_seed", o.data_seed},
          {"device", o.device.device},
          {"precision", o.device.precision},
          {"eval_points", o.eval_points},
          {"eval_method", o.eval_method}};
}

TrainOptions train_options(const RingsOptions& o) {
  TrainOptions t;
  t.solver = solver_options(o.solver);
  t.gradient.adjoint = parse_adjoint(o.adjoint);
  t.gradient.seminorm = o.seminorm;
  t.adam = {o.lr, o.beta1, o.beta2, o.eps};
  t.batch_size = o.batch;
  t.data_seed = o.data_seed;
  return t;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

nlohmann::json nfe_summary(const std::vector<LossRow>& rows, bool forward) {
  std::vector<double> v;
  for (const LossRow& r : rows) v.push_back(double(forward ? r.forward.nfe : r.backward.nfe));
  if (v.empty()) return nullptr;
  double sum = 0, max = 0;
  for (double x : v) {
    sum += x;
    max = std::max(max, x);
  }
  return {{"median", median(v)}, {"mean", sum / v.size()}, {"max", max}, {"last", v.back()}};
}

// Takes a resumed run's saved settings for every flag not given on the command line, so the
// run continues as it started; says which were taken and which the command line overrides.
void take_saved_settings(RingsOptions& o, const nlohmann::json& saved) {
  std::string taken, overridden;
  auto take = [&](const char* key, auto& field) {
    if (!saved.is_object() || !saved.contains(key)) return;
    const CLI::Option* flag = o.flags.at(key);
    using T = std::decay_t<decltype(field)>;
    T value;
    try {
      value = saved.at(key).get<T>();
    } catch (const nlohmann::json::exception&) {
      throw Error(ErrorKind::model_format, "model file '" + o.resume + "': training.settings." +
                                               key +
                                               " has the wrong type: " + saved.at(key).dump());
    }
    std::ostringstream text;
    text << flag->get_name() << " " << (flag->count() ? field : value);
    if (flag->count() == 0) {
      field = value;
      taken += (taken.empty() ? "" : ", ") + text.str();
    } else if (value != field) {
      overridden += (overridden.empty() ? "" : ", ") + text.str();
    }
  };
  take("iterations", o.iterations);
  take("batch", o.batch);
  take("method", o.solver.method);
  take("rtol", o.solver.rtol);
  take("atol", o.solver.atol);
  take("adjoint", o.adjoint);
  take("seminorm", o.seminorm);
  take("lr", o.lr);
  take("beta1", o.beta1);
  take("beta2", o.beta2);
  take("eps", o.eps);
  take("data_seed", o.data_seed);
  take("device", o.device.device);
  take("precision", o.device.precision);
  take("eval_points", o.eval_points);
  take("eval_method", o.eval_method);
  // Saved counts pass the ranges the flags have.
  auto in_range = [&](const char* key, long double value, long double min, long double max) {
    if (value < min || value > max)
      throw Error(ErrorKind::model_format,
                  "model file '" + o.resume + "': training.settings." + key + " is out of range");
  };
  in_range("iterations", o.iterations, 0, kMaxIterations);
  in_range("batch", o.batch, 1, kMaxBatch);
  in_range("eval_points", o.eval_points, 1, kMaxEvalPoints);
  if (!taken.empty()) std::cerr << "cucnf rings: saved settings taken: " << taken << "\n";
  if (!overridden.empty())
    std::cerr << "cucnf rings: saved settings overridden on the command line: " << overridden
              << "\n";
}

void run_rings(RingsOptions o) {
  namespace fs = std::filesystem;
  // The model: resumed (with Adam's state and settings when the file has them) or fresh.
  std::optional<Checkpoint> resumed;
  if (!o.resume.empty()) {
    resumed = load_training_checkpoint(o.resume);
    std::cerr << "cucnf rings: resuming " << o.resume
              << " (its model's sizes, interval and base variance are used)\n";
    if (resumed->state) take_saved_settings(o, resumed->state->settings);
  }
  const TrainOptions options = train_options(o);
  SolverOptions eval;
  eval.method = parse_method(o.eval_method);
  eval.rtol = eval.atol = 1e-5;
  validate(eval);
  Model initial =
      resumed ? resumed->model
              : Model::initialize({2, o.width, o.hidden}, o.seed, o.t0, o.t1, o.base_variance);
  Trainer trainer(initial, options, device(o.device), precision(o.device));

  // Every option is valid: now the output directory.
  fs::create_directories(o.out);
  if (const int stale = remove_stale_temporaries(o.out))
    std::cerr << "cucnf rings: removed " << stale << " temporary file(s) of an interrupted save\n";
  const std::string model_path = (fs::path(o.out) / "model.json").string();
  const std::string loss_csv = (fs::path(o.out) / "loss.csv").string();
  LossLog log;
  if (resumed && resumed->state) {
    trainer.set_adam_state(resumed->state->adam);
    log.read_csv(loss_csv, trainer.iteration());
    if (log.rows().size() != std::size_t(trainer.iteration()))
      std::cerr << "cucnf rings: warning: " << loss_csv << " has " << log.rows().size()
                << " rows for the " << trainer.iteration()
                << " iterations done; the loss record has gaps\n";
  }
  std::cerr << "cucnf rings: training on " << trainer.device_description();
  if (trainer.device() == Device::cpu)
    std::cerr << (cuda_device_count() == 0 ? " (no GPU found: the CPU backend is much slower)"
                                           : " (CPU backend requested)");
  std::cerr << "\n  " << o.iterations << " iterations, batch " << o.batch << ", " << o.solver.method
            << " rtol " << o.solver.rtol << " atol " << o.solver.atol << ", Adam lr " << o.lr
            << ", t " << initial.t1() << " -> " << initial.t0()
            << (trainer.iteration() > 0
                    ? ", resuming after iteration " + std::to_string(trainer.iteration())
                    : std::string())
            << "\n";

  // The record first: a kill between the two leaves loss.csv ahead of model.json, and a resume
  // takes its rows up to the model's iteration, so none is ever missing.
  auto checkpoint = [&] {
    log.write_csv(loss_csv);
    save_training_checkpoint(model_path, trainer.model(), {trainer.adam_state(), settings_json(o)});
  };

  g_interrupted = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  action.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the program at once
  sigaction(SIGINT, &action, nullptr);

  Progress progress(trainer.iteration(), o.iterations, o.log_every);
  double training_seconds = 0.0;  // including the iterations of a resumed run
  for (const LossRow& r : log.rows()) training_seconds += r.seconds;
  while (trainer.iteration() < o.iterations && !g_interrupted) {
    IterationReport report;
    try {
      report = trainer.step();
    } catch (const Error&) {
      progress.finish();
      log.write_csv(loss_csv);  // the record so far; model.json keeps its last good save
      throw;
    }
    training_seconds += report.seconds;
    progress.update(report, log.add(report));
    if (report.iteration % o.save_every == 0) checkpoint();
  }
  progress.finish();
  signal(SIGINT, SIG_DFL);
  checkpoint();
  if (g_interrupted) {
    throw Interrupted("interrupted after iteration " + std::to_string(trainer.iteration()) +
                      "; saved " + model_path + " (continue with --resume " + model_path + ")");
  }

  // Evaluation and pictures.
  const Model trained = trainer.model();
  Flow flow(trained, trainer.device(), precision(o.device));
  std::cerr << "cucnf rings: held-out NLL on " << o.eval_points << " points..." << std::flush;
  const HeldOutResult heldout =
      heldout_nll(flow, o.eval_points, o.data_seed, eval, [](std::size_t done, std::size_t total) {
        std::cerr << " " << 100 * done / total << "%" << std::flush;
      });
  std::cerr << "\ncucnf rings: held-out NLL " << heldout.nll << " nats (data entropy "
            << kRingsEntropy << ")\n";

  std::vector<double> iterations, losses, running;
  std::vector<double> seconds;
  for (const LossRow& r : log.rows()) {
    iterations.push_back(double(r.iteration));
    losses.push_back(r.loss);
    running.push_back(r.running_loss);
    seconds.push_back(r.seconds);
  }
  const double extent = 4.5;
  plot::write_loss_png((fs::path(o.out) / "loss.png").string(), iterations, losses, running,
                       kRingsEntropy, "cucnf rings: training loss (-mean log p of each batch)");
  char subtitle[160];
  std::snprintf(subtitle, sizeof subtitle, "held-out NLL %.3f nats after %lld iterations",
                heldout.nll, static_cast<long long>(trainer.iteration()));
  plot::write_density_png((fs::path(o.out) / "density.png").string(),
                          target_grid(kTargetResolution, extent),
                          learned_grid(flow, o.grid, extent, eval), subtitle);
  std::cerr << "cucnf rings: animation frames..." << std::flush;
  const std::vector<plot::Frame> frames =
      flow_frames(flow, o.frames, o.frame_samples, o.data_seed + 1, o.grid, extent, eval,
                  [](int done, int total) {
                    if (done % 10 == 0 || done == total)
                      std::cerr << " " << done << "/" << total << std::flush;
                  });
  std::cerr << "\n";
  plot::write_samples_gif((fs::path(o.out) / "samples.gif").string(),
                          target_grid(kTargetResolution, extent), frames, 10);

  nlohmann::json metrics;
  metrics["heldout_nll"] = heldout.nll;
  metrics["heldout_points"] = heldout.points;
  metrics["heldout_eval"] = {{"method", o.eval_method},
                             {"rtol", eval.rtol},
                             {"atol", eval.atol},
                             {"nfe", heldout.stats.nfe},
                             {"seconds", heldout.seconds}};
  metrics["entropy_floor"] = kRingsEntropy;
  metrics["iterations"] = trainer.iteration();
  metrics["training_seconds"] = training_seconds;
  metrics["median_iteration_seconds"] = median(seconds);
  metrics["final_running_loss"] =
      running.empty() ? nlohmann::json(nullptr) : nlohmann::json(running.back());
  metrics["nfe_forward"] = nfe_summary(log.rows(), true);
  metrics["nfe_backward"] = nfe_summary(log.rows(), false);
  metrics["device"] = trainer.device_description();
  metrics["version"] = version();
  metrics["settings"] = settings_json(o);
  write_text((fs::path(o.out) / "metrics.json").string(), metrics.dump(2) + "\n");
  std::cerr << "cucnf rings: wrote model.json, loss.csv, loss.png, density.png, samples.gif, "
               "metrics.json to "
            << o.out << "/ (training " << format_duration(training_seconds) << ", median "
            << median(seconds) * 1e3 << " ms per iteration)\n";
}

}  // namespace

void add_rings_command(CLI::App& app) {
  auto o = std::make_shared<RingsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "rings", "the bundled demo: train on the rings data, write the model and pictures to --out");
  cmd->add_option("--iters", o->iterations, "training iterations (in all, when resuming)")
      ->check(whole_number(0, kMaxIterations))
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "fresh rings points per iteration")
      ->check(whole_number(1, kMaxBatch))
      ->capture_default_str();
  add_solver_flags(*cmd, o->solver, "fehlberg2");
  cmd->add_option("--adjoint", o->adjoint, "continuous or discrete")->capture_default_str();
  cmd->add_flag("--seminorm", o->seminorm, "leave a_theta out of the backward error norm");
  cmd->add_option("--lr", o->lr, "Adam learning rate")->capture_default_str();
  cmd->add_option("--beta1", o->beta1, "Adam beta1")->capture_default_str();
  cmd->add_option("--beta2", o->beta2, "Adam beta2")->capture_default_str();
  cmd->add_option("--eps", o->eps, "Adam epsilon")->capture_default_str();
  cmd->add_option("--width", o->width, "planar width K")
      ->check(whole_number(1, kMaxModelSize))
      ->capture_default_str();
  cmd->add_option("--hidden", o->hidden, "hypernetwork hidden width H")
      ->check(whole_number(1, kMaxModelSize))
      ->capture_default_str();
  cmd->add_option("--t0", o->t0, "start of the flow (base distribution)")->capture_default_str();
  cmd->add_option("--t1", o->t1, "end of the flow (data)")->capture_default_str();
  cmd->add_option("--base-variance", o->base_variance, "variance of the base N(0, s^2 I)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the model's initialisation")
      ->check(whole_number(0, kMaxSeed))
      ->capture_default_str();
  cmd->add_option("--data-seed", o->data_seed, "seed of the training and held-out data")
      ->check(whole_number(0, kMaxSeed - 1))
      ->capture_default_str();
  add_device_flags(*cmd, o->device);
  cmd->add_option("--out", o->out, "output directory")->capture_default_str();
  cmd->add_option("--resume", o->resume,
                  "continue from a model.json written by this command, with its saved settings "
                  "unless flags override them");
  cmd->add_option("--save-every", o->save_every, "save model.json every N iterations")
      ->check(whole_number(1, 1e12))
      ->capture_default_str();
  cmd->add_option("--log-every", o->log_every,
                  "progress line every N iterations when not on a terminal")
      ->check(whole_number(1, 1e9))
      ->capture_default_str();
  cmd->add_option("--eval-points", o->eval_points, "fresh points for the held-out NLL")
      ->check(whole_number(1, kMaxEvalPoints))
      ->capture_default_str();
  cmd->add_option("--eval-method", o->eval_method, "solver of the evaluation (rtol 1e-5)")
      ->capture_default_str();
  cmd->add_option("--grid", o->grid, "density pictures: grid points per side")
      ->check(whole_number(8, 2000))
      ->capture_default_str();
  cmd->add_option("--frames", o->frames, "frames of samples.gif")
      ->check(whole_number(2, 1000))
      ->capture_default_str();
  cmd->add_option("--frame-samples", o->frame_samples, "samples shown in samples.gif")
      ->check(whole_number(1, 1e6))
      ->capture_default_str();
  const std::pair<const char*, const char*> resumable[] = {{"iterations", "--iters"},
                                                           {"batch", "--batch"},
                                                           {"method", "--method"},
                                                           {"rtol", "--rtol"},
                                                           {"atol", "--atol"},
                                                           {"adjoint", "--adjoint"},
                                                           {"seminorm", "--seminorm"},
                                                           {"lr", "--lr"},
                                                           {"beta1", "--beta1"},
                                                           {"beta2", "--beta2"},
                                                           {"eps", "--eps"},
                                                           {"data_seed", "--data-seed"},
                                                           {"device", "--device"},
                                                           {"precision", "--precision"},
                                                           {"eval_points", "--eval-points"},
                                                           {"eval_method", "--eval-method"}};
  for (const auto& [key, flag] : resumable) o->flags[key] = cmd->get_option(flag);
  cmd->callback([o] { run_rings(*o); });
}

}  // namespace cucnf::cli
