// The command-line program as a user runs it: outputs, exit codes and one-line errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "compare.hpp"
#include "reference.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;

namespace {

using Result = cucnf_test::CliResult;
Result run(const std::string& args, const std::string& redirect = "2>&1") {
  return cucnf_test::run_cli(args, redirect);
}

fs::path scratch() {
  const fs::path dir = fs::temp_directory_path() / ("cucnf_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string write_points(const fs::path& path, std::size_t rows) {
  std::ofstream out(path);
  out << "x,y\n";
  out.precision(17);
  for (std::size_t i = 0; i < rows; ++i)
    out << reference().x[2 * i] << "," << reference().x[2 * i + 1] << "\n";
  return path.string();
}

std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

TEST(Cli, LogpWritesOneValuePerRowMatchingTheReference) {
  const fs::path dir = scratch();
  const std::string input = write_points(dir / "x.csv", 48);
  const fs::path output = dir / "logp.csv";
  const Result r =
      run("logp --model " + reference().path + " --input " + input + " --output " +
          output.string() + " --device cpu --precision float64 --rtol 1e-10 --atol 1e-10");
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(output);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "log_prob");
  for (std::size_t i = 0; i < 48; ++i) {
    double v;
    in >> v;
    EXPECT_NEAR(v, reference().density_logp[i], 1e-7 * std::fabs(reference().density_logp[i]));
  }
  fs::remove_all(dir);
}

TEST(Cli, SampleWritesRowsOfXAndLogProb) {
  const Result r = run("sample --model " + reference().path + " -n 5 --seed 3 --device cpu");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("x0,x1,log_prob\n"), std::string::npos);
  EXPECT_EQ(count_lines(r.out), 1u + 5u + 1u);  // header, rows, the summary on stderr
}

TEST(Cli, GradWritesTheReferenceGradientInTheModelLayout) {
  const fs::path dir = scratch();
  const std::string input = write_points(dir / "x.csv", 48);
  const fs::path output = dir / "grad.json";
  for (const char* adjoint : {"continuous", "discrete"}) {
    const Result r = run(
        "grad --model " + reference().path + " --input " + input + " --output " + output.string() +
        " --device cpu --precision float64 --rtol 1e-10 --atol 1e-10 --adjoint " + adjoint);
    ASSERT_EQ(r.code, 0) << r.out;
    std::ifstream in(output);
    const nlohmann::json g = nlohmann::json::parse(in);
    EXPECT_NEAR(g.at("loss").get<double>(), reference().loss, 1e-7);
    std::vector<double> grad;
    for (const char* name :
         {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"}) {
      for (const nlohmann::json& row : g.at("grad").at(name)) {
        if (row.is_array()) {
          for (const nlohmann::json& v : row) grad.push_back(v.get<double>());
        } else {
          grad.push_back(row.get<double>());
        }
      }
    }
    EXPECT_LT(relative_error(grad, reference().grad), 1e-5) << adjoint;
    EXPECT_GT(g.at("backward").at("nfe").get<int>(), 0);
  }
  fs::remove_all(dir);
}

TEST(Cli, HelpListsEachCommandAndItsFlags) {
  const Result top = run("--help");
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("logp"), std::string::npos);
  EXPECT_NE(top.out.find("sample"), std::string::npos);
  const Result logp = run("logp --help");
  EXPECT_EQ(logp.code, 0);
  for (const char* flag :
       {"--model", "--input", "--output", "--method", "--rtol", "--atol", "--device"})
    EXPECT_NE(logp.out.find(flag), std::string::npos) << flag;
}

// Bad input: a non-zero exit and exactly one line naming the problem.
TEST(Cli, BadInputGivesOneClearLine) {
  const fs::path dir = scratch();
  const std::string good = write_points(dir / "x.csv", 3);
  {
    std::ofstream(dir / "wide.csv") << "1,2,3\n";
    std::ofstream(dir / "text.csv") << "0.5,0.25\n0.5,abc\n";
    std::ofstream(dir / "nan.csv") << "0.5,nan\n";
    std::ofstream(dir / "trunc.json") << "{\"model\": {\"dim\": 2, \"wid";
  }
  struct Case {
    std::string args, expected;
  };
  const std::string model = " --model " + reference().path;
  const Case cases[] = {
      {"logp" + model + " --input " + (dir / "wide.csv").string(), "wide.csv:1: expected 2"},
      {"logp" + model + " --input " + (dir / "text.csv").string(), "text.csv:2: column 2"},
      {"logp" + model + " --input " + (dir / "nan.csv").string(), "not finite"},
      {"logp --model " + (dir / "trunc.json").string() + " --input " + good, "truncated"},
      {"logp" + model + " --input " + good + " --method rk45", "unknown method 'rk45'"},
      {"logp" + model + " --input " + good + " --rtol 0", "rtol must be"},
      {"logp" + model + " --input " + good + " --method rk4", "needs step_size > 0"},
      {"logp" + model + " --input " + good + " --max-steps 2", "max_num_steps = 2"},
      {"logp" + model + " --input " + (dir / "missing.csv").string(), "cannot open"},
      {"sample" + model + " -n 0", "--count: must be a whole number from 1"},
      {"grad" + model + " --input " + good + " --adjoint backwards", "unknown adjoint"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_LE(count_lines(r.out), 2u) << r.out;  // one line (CLI11 may add a hint line)
  }
  fs::remove_all(dir);
}
