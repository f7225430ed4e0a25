#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cucnf/cucnf.hpp"
#include "reference.hpp"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  const fs::path dir = fs::temp_directory_path() / ("cucnf_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(Model, SeedShapeHasTheDesignParameterCount) {
  const cucnf::ModelShape seed{2, 64, 32};
  EXPECT_EQ(seed.parameter_count(), 15904u);
  EXPECT_EQ(seed.hyper_outputs(), 448u);
  const auto tensors = cucnf::parameter_tensors(seed);
  ASSERT_EQ(tensors.size(), 6u);
  EXPECT_EQ(tensors[0].name, "fc1.weight");
  EXPECT_EQ(tensors[4].rows, 448u);
  EXPECT_EQ(tensors[4].cols, 32u);
  EXPECT_EQ(tensors[5].offset + tensors[5].size(), 15904u);
}

TEST(Model, InitialisationIsPyTorchStyleAndReproducible) {
  const cucnf::ModelShape shape{3, 5, 4};
  const cucnf::Model a = cucnf::Model::initialize(shape, 42);
  const cucnf::Model b = cucnf::Model::initialize(shape, 42);
  const cucnf::Model c = cucnf::Model::initialize(shape, 43);
  EXPECT_EQ(a.params(), b.params());
  EXPECT_NE(a.params(), c.params());
  for (const auto& t : cucnf::parameter_tensors(shape)) {
    const double fan_in = t.name.rfind("fc1", 0) == 0 ? 1.0 : 4.0;
    const double bound = 1.0 / std::sqrt(fan_in);
    double max_abs = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      const double v = a.params()[t.offset + i];
      EXPECT_LE(std::fabs(v), bound) << t.name;
      max_abs = std::fmax(max_abs, std::fabs(v));
    }
    if (t.size() > 8) EXPECT_GT(max_abs, 0.5 * bound) << t.name;  // spread over the range
  }
  EXPECT_EQ(a.t0(), 0.0);
  EXPECT_EQ(a.t1(), 10.0);
  EXPECT_EQ(a.base_variance(), 0.1);
}

TEST(Model, LoadsTheReferenceFile) {
  const cucnf::Model m = cucnf::Model::load(reference().path);
  EXPECT_EQ(m.shape(), (cucnf::ModelShape{2, 64, 32}));
  EXPECT_EQ(m.t0(), 0.0);
  EXPECT_EQ(m.t1(), 10.0);
  EXPECT_EQ(m.base_variance(), 0.1);
  EXPECT_DOUBLE_EQ(m.params()[0], 0.940106003613106);  // fc1.weight[0][0]
}

TEST(Model, JsonRoundTripIsBitExact) {
  const cucnf::Model m = cucnf::Model::load(reference().path);
  const fs::path path = temp_dir() / "roundtrip.json";
  m.save(path.string());
  const cucnf::Model back = cucnf::Model::load(path.string());
  ASSERT_EQ(back.params().size(), m.params().size());
  EXPECT_EQ(
      std::memcmp(back.params().data(), m.params().data(), m.params().size() * sizeof(double)), 0);
  // Awkward values survive too.
  std::vector<double> p = m.params();
  p[0] = 0.1 + 0.2;
  p[1] = 5e-324;
  p[2] = -1.7976931348623157e308;
  p[3] = 1.0 / 3.0;
  const cucnf::Model odd(m.shape(), -2.5, 1e-300, 3.0e-7, p);
  const cucnf::Model odd_back = cucnf::Model::from_json(odd.to_json());
  EXPECT_EQ(std::memcmp(odd_back.params().data(), p.data(), p.size() * sizeof(double)), 0);
  EXPECT_EQ(odd_back.t1(), 1e-300);
  EXPECT_EQ(odd_back.base_variance(), 3.0e-7);
  fs::remove_all(path.parent_path());
}

TEST(Model, SaveIsAtomicAndLeavesNoTemporaryFile) {
  const fs::path dir = temp_dir();
  const fs::path path = dir / "model.json";
  const cucnf::Model a = cucnf::Model::initialize({2, 4, 3}, 1);
  const cucnf::Model b = cucnf::Model::initialize({2, 4, 3}, 2);
  a.save(path.string());
  b.save(path.string());
  EXPECT_EQ(read(path), b.to_json());
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  // A failed save reports io and leaves the existing file alone.
  EXPECT_THROW(a.save((dir / "missing" / "model.json").string()), cucnf::Error);
  EXPECT_EQ(read(path), b.to_json());
  fs::remove_all(dir);
}

TEST(Model, SetParamsValidates) {
  cucnf::Model m = cucnf::Model::initialize({2, 3, 2}, 1);
  std::vector<double> p = m.params();
  p[5] = NAN;
  EXPECT_THROW(m.set_params(p), cucnf::Error);
  p.pop_back();
  EXPECT_THROW(m.set_params(p), cucnf::Error);
}

TEST(Model, ParameterLayoutJsonRoundTripsAndNamesBadTensors) {
  const cucnf::ModelShape shape{3, 4, 2};
  const cucnf::Model m = cucnf::Model::initialize(shape, 9);
  const std::string text = cucnf::parameters_to_json(shape, m.params());
  EXPECT_EQ(cucnf::parameters_from_json(shape, text), m.params());
  EXPECT_NE(text.find("\"fc3.weight\":[["), std::string::npos);
  std::string broken = text;
  broken.replace(broken.find("\"fc2.bias\""), 10, "\"fc2.bais\"");
  try {
    cucnf::parameters_from_json(shape, broken);
    ADD_FAILURE() << "no error";
  } catch (const cucnf::Error& e) {
    EXPECT_EQ(e.kind(), cucnf::ErrorKind::model_format);
    EXPECT_NE(std::string(e.what()).find("params.fc2.bias"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cucnf::parameters_to_json(shape, {1.0, 2.0}), cucnf::Error);
}
