// Every bad input gets a cucnf::Error of the right kind with a message a user can act on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "cucnf/cucnf.hpp"
#include "expect_error.hpp"
#include "reference.hpp"

namespace {

cucnf::Model small_model() {
  return cucnf::Model::initialize({2, 8, 4}, 3);
}

std::string reference_text() {
  std::ifstream in(reference().path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(Errors, PointsOfTheWrongDimension) {
  cucnf::Flow flow(small_model(), cucnf::Device::cpu);
  expect_error(
      [&] {
        flow.log_prob({0.1, 0.2, 0.3});
      },
      cucnf::ErrorKind::invalid_argument, {"3 values", "not a multiple", "dimension 2"});
  expect_error([&] { flow.log_prob({}); }, cucnf::ErrorKind::invalid_argument, {"empty"});
}

TEST(Errors, NonFinitePoints) {
  cucnf::Flow flow(small_model(), cucnf::Device::cpu);
  expect_error(
      [&] {
        flow.log_prob({0.1, 0.2, NAN, 0.4});
      },
      cucnf::ErrorKind::invalid_argument, {"value 0 of row 1", "not finite"});
  expect_error(
      [&] {
        flow.gradient({INFINITY, 0.2});
      },
      cucnf::ErrorKind::invalid_argument, {"not finite"});
}

TEST(Errors, NonFiniteParameters) {
  cucnf::Model m = small_model();
  std::vector<double> p = m.params();
  p[3] = NAN;
  expect_error([&] { cucnf::Model(m.shape(), 0, 10, 0.1, p); }, cucnf::ErrorKind::invalid_argument,
               {"fc1.weight[3]", "not finite"});
  std::string text = m.to_json();
  const std::size_t at = text.find("\"fc2.bias\":[") + 12;
  text.replace(at, text.find(',', at) - at, "1e999");  // beyond float64
  expect_error([&] { cucnf::Model::from_json(text); }, cucnf::ErrorKind::model_format, {"1e999"});
}

TEST(Errors, BadTolerancesAndOptions) {
  cucnf::Flow flow(small_model(), cucnf::Device::cpu);
  const std::vector<double> x = {0.1, 0.2};
  cucnf::SolverOptions o;
  o.rtol = 0;
  expect_error([&] { flow.log_prob(x, o); }, cucnf::ErrorKind::invalid_argument, {"rtol", "> 0"});
  o.rtol = 1e-5;
  o.atol = -1;
  expect_error([&] { flow.log_prob(x, o); }, cucnf::ErrorKind::invalid_argument, {"atol", "> 0"});
  cucnf::SolverOptions fixed;
  fixed.method = cucnf::Method::rk4;
  expect_error([&] { flow.log_prob(x, fixed); }, cucnf::ErrorKind::invalid_argument,
               {"rk4", "step_size > 0"});
  cucnf::SolverOptions steps;
  steps.max_num_steps = 0;
  expect_error([&] { flow.log_prob(x, steps); }, cucnf::ErrorKind::invalid_argument,
               {"max_num_steps"});
}

TEST(Errors, EqualTimes) {
  const cucnf::Model m = small_model();
  expect_error([&] { cucnf::Model(m.shape(), 1.0, 1.0, 0.1, m.params()); },
               cucnf::ErrorKind::invalid_argument, {"t0 and t1 must differ"});
  std::string text = m.to_json();
  text.replace(text.find("\"t1\":10.0"), 9, "\"t1\":0.0");
  expect_error([&] { cucnf::Model::from_json(text); }, cucnf::ErrorKind::model_format,
               {"t0 and t1 must differ"});
  cucnf::Flow flow(m, cucnf::Device::cpu);
  expect_error(
      [&] {
        flow.trajectory({0.1, 0.2}, {1.0, 1.0});
      },
      cucnf::ErrorKind::invalid_argument, {"strictly"});
}

TEST(Errors, UnknownMethodAndDevice) {
  expect_error([] { cucnf::parse_method("rk45"); }, cucnf::ErrorKind::invalid_argument,
               {"unknown method 'rk45'", "dopri5", "fehlberg2"});
  EXPECT_EQ(cucnf::parse_method("adaptive_heun"), cucnf::Method::heun_euler);
  EXPECT_EQ(cucnf::parse_method("rk4_38"), cucnf::Method::rk4_38);
  expect_error([] { cucnf::parse_device("tpu"); }, cucnf::ErrorKind::invalid_argument,
               {"unknown device 'tpu'"});
}

TEST(Errors, MalformedAndTruncatedModelFiles) {
  const std::string full = reference_text();
  expect_error([&] { cucnf::Model::from_json(full.substr(0, full.size() / 2)); },
               cucnf::ErrorKind::model_format, {"malformed or truncated"});
  expect_error([&] { cucnf::Model::from_json("{\"model\": {\"dim\": 2}}"); },
               cucnf::ErrorKind::model_format, {"missing key \"model.width\""});
  expect_error([&] { cucnf::Model::from_json("[1, 2]"); }, cucnf::ErrorKind::model_format,
               {"JSON object"});
  std::string short_row = small_model().to_json();
  const std::size_t at = short_row.find("\"fc2.weight\":[[") + 15;
  short_row.erase(at, short_row.find(',', at) + 1 - at);  // drop one value of row 0
  expect_error([&] { cucnf::Model::from_json(short_row); }, cucnf::ErrorKind::model_format,
               {"params.fc2.weight", "row 0", "4 numbers"});
  std::string wrong_dim = small_model().to_json();
  wrong_dim.replace(wrong_dim.find("\"dim\":2"), 7, "\"dim\":3");
  expect_error([&] { cucnf::Model::from_json(wrong_dim); }, cucnf::ErrorKind::model_format,
               {"params.fc3.weight"});
  expect_error([] { cucnf::Model::load("/nonexistent/model.json"); }, cucnf::ErrorKind::io,
               {"cannot open model file '/nonexistent/model.json'"});
}

TEST(Errors, StepSizeUnderflowNamesTimeAndStep) {
  cucnf::Flow flow(small_model(), cucnf::Device::cpu);
  cucnf::SolverOptions o;
  o.rtol = o.atol = 1e-300;
  expect_error(
      [&] {
        flow.log_prob({0.3, -0.2}, o);
      },
      cucnf::ErrorKind::step_size_underflow, {"density solve", "underflow", "at t = 10", "h = "});
  // Every attempt is rejected: 5 -> 1 -> 0.2, which is below min_step.
  o.step_size = 5.0;
  o.min_step = 0.5;
  expect_error(
      [&] {
        flow.log_prob({0.3, -0.2}, o);
      },
      cucnf::ErrorKind::step_size_underflow, {"min_step = 0.5", "at t = 10", "h = 0.2"});
}

TEST(Errors, MaxNumStepsNamesTimeAndStep) {
  cucnf::Flow flow(small_model(), cucnf::Device::cpu);
  cucnf::SolverOptions o;
  o.rtol = o.atol = 1e-9;
  o.max_num_steps = 3;
  expect_error(
      [&] {
        flow.log_prob({0.3, -0.2}, o);
      },
      cucnf::ErrorKind::max_steps_exceeded, {"max_num_steps = 3", "at t = ", "h = "});
}

TEST(Errors, NonFiniteStateDuringASolve) {
  cucnf::Model m = small_model();
  std::vector<double> p = m.params();
  const auto tensors = cucnf::parameter_tensors(m.shape());
  // p = fc3.bias exactly (zero fc3.weight): W = 0.1, U = 1.7e308, G = B = 50, so every
  // h_k = 1 and the sum over units of u~_k overflows: f = inf.
  std::fill(p.begin() + tensors[4].offset, p.begin() + tensors[4].offset + tensors[4].size(), 0.0);
  const std::size_t fc3_b = tensors[5].offset;
  for (int i = 0; i < 16; ++i) p[fc3_b + i] = 0.1;
  for (int i = 16; i < 32; ++i) p[fc3_b + i] = 1.7e308;
  for (int i = 32; i < 56; ++i) p[fc3_b + i] = 50.0;
  m.set_params(p);
  cucnf::Flow flow(m, cucnf::Device::cpu);
  expect_error(
      [&] {
        flow.log_prob({0.3, -0.2});
      },
      cucnf::ErrorKind::non_finite_state, {"non-finite", "at t = ", "h = "});
  cucnf::SolverOptions euler;
  euler.method = cucnf::Method::euler;
  euler.step_size = 0.5;
  expect_error(
      [&] {
        flow.log_prob({0.3, -0.2}, euler);
      },
      cucnf::ErrorKind::non_finite_state, {"non-finite"});
}

TEST(Errors, CudaWithoutAGpuIsAClearError) {
  if (cucnf::cuda_device_count() > 0) GTEST_SKIP() << "a GPU is present";
  expect_error([] { cucnf::Flow(small_model(), cucnf::Device::cuda); },
               cucnf::ErrorKind::cuda_unavailable, {"CUDA was requested", "CPU backend"});
  cucnf::Flow automatic(small_model());
  EXPECT_EQ(automatic.device(), cucnf::Device::cpu);
}
