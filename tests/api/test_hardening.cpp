// Hostile and extreme inputs to the library (issue 13): sizes that overflow, model files that
// ask for huge allocations, overflowing base variances, bad options, odd output paths.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>
#include <string>
#include <thread>

#include "cucnf/cucnf.hpp"
#include "expect_error.hpp"

namespace fs = std::filesystem;

// Every allocation of this test program (the library's included) goes through here, so a test
// can refuse allocations above a cap and learn whether anything asked for one.
namespace {
std::atomic<std::size_t> g_allocation_cap{0};  // 0: no cap
std::atomic<std::size_t> g_largest_refused{0};
}  // namespace

void* operator new(std::size_t size) {
  const std::size_t cap = g_allocation_cap.load();
  if (cap != 0 && size > cap) {
    g_largest_refused = std::max(g_largest_refused.load(), size);
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

// While alive, allocations above `bytes` throw std::bad_alloc and are recorded.
struct AllocationCap {
  explicit AllocationCap(std::size_t bytes) {
    g_largest_refused = 0;
    g_allocation_cap = bytes;
  }
  ~AllocationCap() { g_allocation_cap = 0; }
};

fs::path temp_dir() {
  const fs::path dir =
      fs::temp_directory_path() / ("cucnf_hardening_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A model file with the given sizes whose tensors are tiny (wrong) lists.
std::string small_file_with_shape(long long dim, long long width, long long hidden) {
  return "{\"model\": {\"dim\": " + std::to_string(dim) + ", \"width\": " + std::to_string(width) +
         ", \"hidden\": " + std::to_string(hidden) +
         "}, \"t0\": 0, \"t1\": 1, \"base_variance\": 1, \"params\": {\"fc1.weight\": [[0]], "
         "\"fc1.bias\": [0], \"fc2.weight\": [[0]], \"fc2.bias\": [0], \"fc3.weight\": [[0]], "
         "\"fc3.bias\": [0]}}";
}

constexpr std::size_t kHalfOfSizeMax = std::numeric_limits<std::size_t>::max() / 2;

}  // namespace

// Defect 1: n x D and 2n overflowed size_t and the solves wrote past small buffers.
TEST(Hardening, SampleCountsWhoseSizeOverflowsAreRejected) {
  cucnf::Flow flow(cucnf::Model::initialize({2, 4, 3}, 1), cucnf::Device::cpu);
  expect_error([&] { flow.sample(kHalfOfSizeMax + 2, 0); }, cucnf::ErrorKind::invalid_argument,
               {"samples", "too many"});
  expect_error([&] { cucnf::base_samples(flow.model(), kHalfOfSizeMax + 2, 0); },
               cucnf::ErrorKind::invalid_argument, {"too many"});
  expect_error([] { cucnf::rings(kHalfOfSizeMax + 2, 0); }, cucnf::ErrorKind::invalid_argument,
               {"rings", "too many"});
}

// Defect 1: a count that fits but cannot be allocated is a cucnf::Error naming what was asked.
TEST(Hardening, AllocationFailuresNameWhatWasAsked) {
  cucnf::Flow flow(cucnf::Model::initialize({2, 4, 3}, 1), cucnf::Device::cpu);
  const AllocationCap cap(std::size_t(1) << 30);
  const std::size_t n = std::size_t(1) << 32;  // 64 GiB of samples
  expect_error([&] { flow.sample(n, 0); }, cucnf::ErrorKind::out_of_memory,
               {"4294967296 samples", "GiB"});
  expect_error([&] { cucnf::rings(n, 0); }, cucnf::ErrorKind::out_of_memory,
               {"4294967296 rings points"});
}

// Defect 3: the loader checked the tensors only after allocating the declared shape.
TEST(Hardening, ModelLoaderValidatesBeforeAllocating) {
  const AllocationCap cap(std::size_t(64) << 20);
  for (const auto& [dim, width, hidden] :
       {std::tuple{2LL, 64LL, 46341LL}, std::tuple{1LL, 1LL << 24, 1LL},
        std::tuple{1LL << 24, 1LL << 24, 1LL << 24}}) {
    const std::string text = small_file_with_shape(dim, width, hidden);
    expect_error([&] { cucnf::Model::from_json(text); }, cucnf::ErrorKind::model_format, {});
    EXPECT_EQ(g_largest_refused.load(), 0u) << text.size() << " bytes asked for that much";
  }
  // The documented limit is checked before anything else.
  expect_error([] { cucnf::Model::from_json(small_file_with_shape(2, 64, 46341)); },
               cucnf::ErrorKind::model_format, {"too large", "limit"});
  expect_error(
      [] {
        cucnf::parameter_tensors({2, 64, 46341});
      },
      cucnf::ErrorKind::invalid_argument, {"too large"});
}

// Defect 6: log(2 pi s^2) overflowed for s^2 = 1e308.
TEST(Hardening, HugeBaseVarianceGivesFiniteLogDensities) {
  const cucnf::Model m = cucnf::Model::initialize({2, 4, 3}, 1, 0.0, 1.0, 1e308);
  cucnf::Flow flow(m, cucnf::Device::cpu, cucnf::Precision::float64);  // 1e150 needs float64
  const cucnf::LogProbResult r = flow.log_prob({0.5, -0.25, 1e150, 2e150});
  for (double v : r.log_prob) {
    EXPECT_TRUE(std::isfinite(v)) << v;
    EXPECT_LT(v, -700.0);
  }
  const cucnf::SampleResult s = flow.sample(4, 1);
  for (double v : s.log_prob) EXPECT_TRUE(std::isfinite(v)) << v;
}

// Defect 10: gradient options out of range were accepted.
TEST(Hardening, GradientOptionsOutOfRangeAreRejected) {
  const cucnf::Model m = cucnf::Model::initialize({2, 4, 3}, 1);
  cucnf::TrainOptions o;
  o.gradient.adjoint_rtol = std::numeric_limits<double>::infinity();
  expect_error([&] { cucnf::Trainer(m, o, cucnf::Device::cpu); },
               cucnf::ErrorKind::invalid_argument, {"adjoint_rtol"});
  o.gradient.adjoint_rtol = 0.0;
  o.gradient.adjoint = static_cast<cucnf::Adjoint>(7);
  expect_error([&] { cucnf::Trainer(m, o, cucnf::Device::cpu); },
               cucnf::ErrorKind::invalid_argument, {"adjoint"});
  cucnf::Flow flow(m, cucnf::Device::cpu);
  cucnf::GradientOptions g;
  g.adjoint = static_cast<cucnf::Adjoint>(7);
  expect_error(
      [&] {
        flow.gradient({0.1, 0.2}, {}, g);
      },
      cucnf::ErrorKind::invalid_argument, {"adjoint"});
}

// Defect 10: a directory was read as "malformed JSON".
TEST(Hardening, LoadingADirectoryIsAnIoError) {
  const fs::path dir = temp_dir();
  expect_error([&] { cucnf::Model::load(dir.string()); }, cucnf::ErrorKind::io, {"is a directory"});
  fs::remove_all(dir);
}

// Defect 10: std::runtime_error cut the message at a NUL byte.
TEST(Hardening, ErrorMessagesKeepTextAfterANulByte) {
  const cucnf::Error e(cucnf::ErrorKind::io, std::string("before\0after", 12));
  EXPECT_NE(std::string(e.what()).find("after"), std::string::npos) << e.what();
}

// Defects 2 and 10: Model::save renamed over symbolic links and failed for long names.
TEST(Hardening, SaveKeepsSymlinksAndHandlesLongNames) {
  const fs::path dir = temp_dir();
  const cucnf::Model m = cucnf::Model::initialize({2, 4, 3}, 1);
  fs::create_directories(dir / "real");
  fs::create_symlink(dir / "real" / "model.json", dir / "link.json");
  m.save((dir / "link.json").string());
  EXPECT_TRUE(fs::is_symlink(dir / "link.json"));
  EXPECT_EQ(read(dir / "real" / "model.json"), m.to_json());

  const fs::path long_name = dir / (std::string(250, 'm') + ".json");
  m.save(long_name.string());
  EXPECT_EQ(read(long_name), m.to_json());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 3);
  fs::remove_all(dir);
}

// Defect 2: a FIFO named as the output was replaced by a regular file.
TEST(Hardening, SaveWritesIntoAFifo) {
  const fs::path dir = temp_dir();
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const cucnf::Model m = cucnf::Model::initialize({2, 4, 3}, 1);
  std::string received;
  std::thread reader([&] { received = read(fifo); });
  m.save(fifo.string());
  if (!fs::is_fifo(fifo)) {  // replaced: the reader waits on the old pipe for ever
    reader.detach();
    FAIL() << "the FIFO was replaced by a regular file";
  }
  reader.join();
  EXPECT_EQ(received, m.to_json());
  fs::remove_all(dir);
}
