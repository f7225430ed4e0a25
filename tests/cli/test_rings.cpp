// The rings demo on the CPU: every output file, valid pictures of the documented sizes,
// metrics.json's fields, Ctrl-C saving the model, and resuming.
#include <cairo.h>
#include <gif_lib.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cucnf/cucnf.hpp"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("cucnf_rings_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

// Runs the program with arguments, standard output and error to a log file; returns the status.
int run_cli(const std::vector<std::string>& args, const fs::path& log) {
  std::string command = CUCNF_CLI;
  for (const std::string& a : args) command += " '" + a + "'";
  command += " > '" + log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::pair<int, int> png_size(const fs::path& path) {
  cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
  std::pair<int, int> size{-1, -1};
  if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS)
    size = {cairo_image_surface_get_width(s), cairo_image_surface_get_height(s)};
  cairo_surface_destroy(s);
  return size;
}

struct GifInfo {
  int width = -1, height = -1, frames = -1;
};

GifInfo gif_info(const fs::path& path) {
  GifInfo info;
  int error = 0;
  GifFileType* gif = DGifOpenFileName(path.c_str(), &error);
  if (!gif) return info;
  if (DGifSlurp(gif) == GIF_OK) info = {gif->SWidth, gif->SHeight, gif->ImageCount};
  DGifCloseFile(gif, &error);
  return info;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::size_t csv_rows(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::size_t rows = 0;
  while (std::getline(in, line)) ++rows;
  return rows == 0 ? 0 : rows - 1;  // minus the header
}

const std::vector<std::string> kQuickEval = {"--device",        "cpu", "--eval-points", "2000",
                                             "--frames",        "5",   "--grid",        "32",
                                             "--frame-samples", "300"};

}  // namespace

TEST(RingsDemo, ShortCpuRunWritesEveryOutput) {
  const fs::path dir = fresh_dir("short");
  std::vector<std::string> args = {"rings", "--iters", "20", "--out", dir.string()};
  args.insert(args.end(), kQuickEval.begin(), kQuickEval.end());
  const int status = run_cli(args, dir.string() + ".log");
  ASSERT_EQ(status, 0) << std::ifstream(dir.string() + ".log").rdbuf();

  EXPECT_EQ(png_size(dir / "loss.png"), std::make_pair(900, 560));
  EXPECT_EQ(png_size(dir / "density.png"), std::make_pair(1200, 600));
  const GifInfo gif = gif_info(dir / "samples.gif");
  EXPECT_EQ(gif.width, 960);
  EXPECT_EQ(gif.height, 340);
  EXPECT_EQ(gif.frames, 5);
  EXPECT_EQ(csv_rows(dir / "loss.csv"), 20u);

  const cucnf::Model model = cucnf::Model::load((dir / "model.json").string());
  EXPECT_EQ(model.shape(), (cucnf::ModelShape{2, 64, 32}));
  EXPECT_EQ(read_json(dir / "model.json").at("training").at("iteration").get<int>(), 20);

  const nlohmann::json m = read_json(dir / "metrics.json");
  for (const char* key :
       {"heldout_nll", "heldout_points", "training_seconds", "median_iteration_seconds",
        "nfe_forward", "nfe_backward", "device", "settings", "iterations", "entropy_floor"})
    EXPECT_TRUE(m.contains(key)) << key;
  EXPECT_EQ(m.at("heldout_points").get<int>(), 2000);
  EXPECT_EQ(m.at("iterations").get<int>(), 20);
  EXPECT_GT(m.at("heldout_nll").get<double>(), cucnf::kRingsEntropy);
  EXPECT_LT(m.at("heldout_nll").get<double>(), 10.0);
  EXPECT_GT(m.at("median_iteration_seconds").get<double>(), 0.0);
  EXPECT_GT(m.at("nfe_forward").at("median").get<double>(), 0.0);
  EXPECT_EQ(m.at("settings").at("method").get<std::string>(), "fehlberg2");
  EXPECT_EQ(m.at("settings").at("batch").get<int>(), 300);
  fs::remove_all(dir);
  fs::remove(dir.string() + ".log");
}

TEST(RingsDemo, CtrlCSavesTheModelAndResumeContinues) {
  const fs::path dir = fresh_dir("interrupt");
  const fs::path log = dir.string() + ".log";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::freopen(log.c_str(), "w", stderr);
    execl(CUCNF_CLI, CUCNF_CLI, "rings", "--iters", "100000", "--save-every", "100000", "--batch",
          "50", "--device", "cpu", "--out", dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until it is training (a few iterations logged), then interrupt it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(log);
    text.assign(std::istreambuf_iterator<char>(in), {});
    if (text.find("iter 10/") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(text.find("iter 10/"), std::string::npos) << text;
  kill(child, SIGINT);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  std::ifstream in(log);
  text.assign(std::istreambuf_iterator<char>(in), {});
  EXPECT_NE(text.find("interrupted after iteration"), std::string::npos) << text;

  const nlohmann::json saved = read_json(dir / "model.json");
  const int done = saved.at("training").at("iteration").get<int>();
  EXPECT_GE(done, 10);
  EXPECT_EQ(csv_rows(dir / "loss.csv"), std::size_t(done));
  EXPECT_FALSE(fs::exists(dir / "metrics.json"));

  // Resume to three more iterations: the record continues where it stopped.
  std::vector<std::string> args = {"rings",
                                   "--resume",
                                   (dir / "model.json").string(),
                                   "--iters",
                                   std::to_string(done + 3),
                                   "--batch",
                                   "50",
                                   "--out",
                                   dir.string()};
  args.insert(args.end(), kQuickEval.begin(), kQuickEval.end());
  ASSERT_EQ(run_cli(args, log), 0) << std::ifstream(log).rdbuf();
  EXPECT_EQ(csv_rows(dir / "loss.csv"), std::size_t(done + 3));
  EXPECT_EQ(read_json(dir / "metrics.json").at("iterations").get<int>(), done + 3);
  fs::remove_all(dir);
  fs::remove(log);
}
