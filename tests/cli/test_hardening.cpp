// Hostile and extreme inputs to the command-line program (issue 13): every one a non-zero exit
// with one clear line, and no output clobbered or lost.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "reference.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;

namespace {

using Result = cucnf_test::CliResult;
Result run(const std::string& args, const std::string& redirect = "2>&1") {
  return cucnf_test::run_cli(args, redirect);
}

std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

fs::path scratch(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("cucnf_cli_hard_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

nlohmann::json read_json(const fs::path& path) {
  return nlohmann::json::parse(read(path));
}

const std::string kModel = " --model " + reference().path + " ";

// A fast rings run: small model and batch, tiny evaluation.
const std::string kQuickRings =
    " --device cpu --width 4 --hidden 4 --eval-points 50 --frames 2 --grid 8 "
    "--frame-samples 10 ";

void expect_one_line_error(const std::string& args, const std::string& fragment) {
  const Result r = run(args);
  EXPECT_NE(r.code, 0) << args << "\n" << r.out;
  EXPECT_NE(r.code, -1) << "killed by a signal: " << args;
  EXPECT_NE(r.out.find(fragment), std::string::npos) << args << "\n" << r.out;
  EXPECT_LE(count_lines(r.out), 2u) << r.out;  // one line (CLI11 may add a hint line)
}

}  // namespace

// Defect 1: sizes overflowed (SIGSEGV), negative values wrapped, huge ones exhausted memory.
TEST(CliHardening, SizeOptionsHaveRanges) {
  const fs::path dir = scratch("sizes");
  const std::string out = " --out " + (dir / "out").string() + " ";
  for (const char* n : {"9223372036854775809", "-1", "18446744073709551615", "10000000000"})
    expect_one_line_error("sample" + kModel + "--device cpu -n " + std::string(n), "--count");
  expect_one_line_error("rings --batch 9223372036854775809" + out, "--batch");
  expect_one_line_error("rings --batch -5" + out, "--batch");
  expect_one_line_error("rings --frame-samples 9223372036854775809" + out, "--frame-samples");
  expect_one_line_error("rings --eval-points -1" + out, "--eval-points");
  expect_one_line_error("rings --width 100000000" + out, "--width");
  expect_one_line_error("rings --frames 99999999999" + out, "--frames");
  fs::remove_all(dir);
}

// Defect 8: --eval-points 0 printed a NaN NLL and exited 0.
TEST(CliHardening, ZeroEvalPointsIsRejected) {
  const fs::path dir = scratch("eval0");
  expect_one_line_error(
      "rings --iters 1 --eval-points 0" + kQuickRings + "--out " + (dir / "out").string(),
      "--eval-points");
  fs::remove_all(dir);
}

// Defect 10: the output directory was created before the options were checked.
TEST(CliHardening, BadOptionsCreateNoOutputDirectory) {
  const fs::path dir = scratch("nodir");
  expect_one_line_error("rings --lr -1 --out " + (dir / "out").string(), "learning rate");
  expect_one_line_error("rings --method nope --out " + (dir / "out").string(), "unknown method");
  EXPECT_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}

// Defect 2: --output naming a FIFO or a symbolic link replaced it with a regular file.
TEST(CliHardening, OutputsIntoFifosAndSymlinksKeepThem) {
  const fs::path dir = scratch("special");
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A reader in the shell: the output goes through the pipe into a file.
  const Result r =
      run("sample" + kModel + "-n 3 --device cpu --output " + fifo.string() + " & timeout 60 cat " +
              fifo.string() + " > " + (dir / "got.csv").string() + "; wait $!",
          "2>/dev/null");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_EQ(count_lines(read(dir / "got.csv")), 4u);

  fs::create_symlink(dir / "target.csv", dir / "link.csv");
  ASSERT_EQ(
      run("sample" + kModel + "-n 2 --device cpu --output " + (dir / "link.csv").string()).code, 0);
  EXPECT_TRUE(fs::is_symlink(dir / "link.csv"));
  EXPECT_EQ(count_lines(read(dir / "target.csv")), 3u);
  fs::remove_all(dir);
}

// Defect 10: a long output name made the temporary's name longer than 255 bytes.
TEST(CliHardening, LongOutputNamesWork) {
  const fs::path dir = scratch("long");
  const fs::path out = dir / (std::string(250, 's') + ".csv");
  const Result r = run("sample" + kModel + "-n 2 --device cpu --output " + out.string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(count_lines(read(out)), 3u);
  fs::remove_all(dir);
}

// Defect 4: write errors on standard output were ignored (exit 0, output lost).
TEST(CliHardening, StandardOutputWriteErrorsFail) {
  const Result full = run("sample" + kModel + "-n 3 --device cpu", "2>&1 >/dev/full");
  EXPECT_NE(full.code, 0);
  EXPECT_NE(full.out.find("standard output"), std::string::npos) << full.out;
  const Result closed = run("sample" + kModel + "-n 3 --device cpu", "2>&1 >&-");
  EXPECT_NE(closed.code, 0);
  EXPECT_NE(closed.out.find("standard output"), std::string::npos) << closed.out;
}

// Defect 7: a malformed first row, or one behind a UTF-8 byte-order mark, was taken as a header.
TEST(CliHardening, CsvFirstRowIsAHeaderOnlyWithoutNumbers) {
  const fs::path dir = scratch("csv");
  std::ofstream(dir / "bad.csv") << "1.0.0,2\n0.5,0.25\n";
  std::ofstream(dir / "bom.csv") << "\xEF\xBB\xBF"
                                 << "0.5,0.25\n0.1,0.2\n";
  std::ofstream(dir / "header.csv") << "\xEF\xBB\xBF"
                                    << "x,y\n0.5,0.25\n";
  expect_one_line_error("logp" + kModel + "--device cpu --input " + (dir / "bad.csv").string(),
                        "bad.csv:1: column 1 ('1.0.0') is not a number");
  const Result bom =
      run("logp" + kModel + "--device cpu --input " + (dir / "bom.csv").string(), "2>/dev/null");
  EXPECT_EQ(bom.code, 0);
  EXPECT_EQ(count_lines(bom.out), 3u) << bom.out;  // the header and both rows
  const Result header =
      run("logp" + kModel + "--device cpu --input " + (dir / "header.csv").string(), "2>/dev/null");
  EXPECT_EQ(header.code, 0);
  EXPECT_EQ(count_lines(header.out), 2u) << header.out;
  fs::remove_all(dir);
}

// Defect 5: model.json was saved before loss.csv, so a failure (or a kill) between the two left
// the record behind the model.
TEST(CliHardening, TheLossRecordIsSavedBeforeTheModel) {
  const fs::path dir = scratch("order");
  fs::create_directories(dir / "out" / "loss.csv");  // cannot be replaced by a file
  const Result r =
      run("rings --iters 2 --save-every 1" + kQuickRings + "--out " + (dir / "out").string());
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("loss.csv"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out" / "model.json"));
  fs::remove_all(dir);
}

// Defect 5: temporaries of a killed run stayed behind.
TEST(CliHardening, StaleTemporariesOfAKilledRunAreRemoved) {
  const fs::path dir = scratch("stale");
  fs::create_directories(dir / "out");
  // pid_max is at most 4194304, so no process has this id.
  std::ofstream(dir / "out" / "model.json.tmp.4194305") << "{";
  std::ofstream(dir / "out" / "notes.txt") << "mine";
  const Result r = run("rings --iters 1" + kQuickRings + "--out " + (dir / "out").string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out" / "model.json.tmp.4194305"));
  EXPECT_TRUE(fs::exists(dir / "out" / "notes.txt"));
  fs::remove_all(dir);
}

// Defect 9: --resume used the default settings instead of the saved ones.
TEST(CliHardening, ResumeTakesTheSavedSettings) {
  const fs::path dir = scratch("resume");
  const std::string settings = " --lr 0.05 --batch 40 --data-seed 3 --method bosh3 ";
  const std::string whole = (dir / "whole").string(), parts = (dir / "parts").string();
  ASSERT_EQ(run("rings --iters 3" + settings + kQuickRings + "--out " + whole).code, 0);
  ASSERT_EQ(run("rings --iters 1" + settings + kQuickRings + "--out " + parts).code, 0);
  const Result resumed =
      run("rings --iters 3 --resume " + parts + "/model.json" + kQuickRings + "--out " + parts);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("lr 0.05"), std::string::npos) << resumed.out;
  EXPECT_EQ(read_json(fs::path(parts) / "model.json").at("params"),
            read_json(fs::path(whole) / "model.json").at("params"));

  // A flag given with --resume overrides the saved value, and the program says so.
  const Result overridden = run("rings --iters 4 --lr 0.01 --resume " + parts + "/model.json" +
                                kQuickRings + "--out " + parts);
  ASSERT_EQ(overridden.code, 0) << overridden.out;
  EXPECT_NE(overridden.out.find("--lr"), std::string::npos) << overridden.out;
  EXPECT_EQ(read_json(fs::path(parts) / "model.json").at("training").at("settings").at("lr"), 0.01);
  fs::remove_all(dir);
}

// Defect 10: a resume step of 2.7 was read as 2, and 1e30 was undefined behaviour.
TEST(CliHardening, ResumeRejectsNonIntegerSteps) {
  const fs::path dir = scratch("step");
  const std::string out = (dir / "out").string();
  ASSERT_EQ(run("rings --iters 1" + kQuickRings + "--out " + out).code, 0);
  for (const char* step : {"2.7", "1e30", "-3"}) {
    nlohmann::json doc = read_json(fs::path(out) / "model.json");
    doc["training"]["adam"]["step"] = nlohmann::json::parse(step);
    std::ofstream(dir / "edited.json") << doc.dump();
    expect_one_line_error(
        "rings --iters 3 --resume " + (dir / "edited.json").string() + kQuickRings + "--out " + out,
        "step");
  }
  // Saved counts pass the flags' ranges too.
  for (const char* batch : {"0", "-1", "100000000000"}) {
    nlohmann::json doc = read_json(fs::path(out) / "model.json");
    doc["training"]["settings"]["batch"] = nlohmann::json::parse(batch);
    std::ofstream(dir / "edited.json") << doc.dump();
    const Result r = run("rings --iters 3 --resume " + (dir / "edited.json").string() +
                         kQuickRings + "--out " + out);
    EXPECT_NE(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("training.settings.batch is out of range"), std::string::npos) << r.out;
  }
  fs::remove_all(dir);
}

// Defect 10 (the same in loss.csv): a count of 1e30 was converted to an integer (undefined).
TEST(CliHardening, ResumeRejectsLossRecordsWithImpossibleCounts) {
  const fs::path dir = scratch("losscsv");
  const std::string out = (dir / "out").string();
  ASSERT_EQ(run("rings --iters 1" + kQuickRings + "--out " + out).code, 0);
  std::string csv = read(fs::path(out) / "loss.csv");
  csv.replace(csv.find("\n1,") + 1, 1, "1e30");
  std::ofstream(fs::path(out) / "loss.csv") << csv;
  const Result r =
      run("rings --iters 2 --resume " + out + "/model.json" + kQuickRings + "--out " + out);
  EXPECT_NE(r.code, 0) << r.out;  // after the lines saying what is resumed: the error
  EXPECT_NE(r.out.find("cucnf: error: " + out + "/loss.csv: row 1: iteration must be a whole"),
            std::string::npos)
      << r.out;
  fs::remove_all(dir);
}
