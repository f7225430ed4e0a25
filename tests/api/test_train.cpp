// Training on the CPU backend: rings data, Adam, the trainer's loop, failures and resuming.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "compare.hpp"
#include "cucnf/cucnf.hpp"

namespace {

cucnf::TrainOptions small_batches(std::size_t batch = 64) {
  cucnf::TrainOptions o;
  o.batch_size = batch;
  o.data_seed = 3;
  return o;
}

}  // namespace

TEST(Rings, FourNoisyRingsAQuarterEach) {
  const std::size_t n = 40000;
  const std::vector<double> x = cucnf::rings(n, 1);
  ASSERT_EQ(x.size(), 2 * n);
  // Quarters in order: radius 1 and 0.5 (noise 0.06), then 4 and 2 (noise 0.12).
  const double radius[4] = {1.0, 0.5, 4.0, 2.0}, noise[4] = {0.06, 0.06, 0.12, 0.12};
  for (int q = 0; q < 4; ++q) {
    double sum = 0, sq = 0;
    for (std::size_t i = q * n / 4; i < (q + 1) * n / 4; ++i) {
      const double r = std::hypot(x[2 * i], x[2 * i + 1]);
      sum += r;
      sq += (r - radius[q]) * (r - radius[q]);
    }
    const double count = n / 4.0;
    EXPECT_NEAR(sum / count, radius[q], 0.01) << "ring " << q;
    EXPECT_NEAR(std::sqrt(sq / count), noise[q], 0.1 * noise[q]) << "ring " << q;
  }
  EXPECT_EQ(cucnf::rings(300, 1, 7), cucnf::rings(300, 1, 7));
  EXPECT_NE(cucnf::rings(300, 1, 7), cucnf::rings(300, 1, 8));
  EXPECT_NE(cucnf::rings(300, 1, 7), cucnf::rings(300, 2, 7));
  EXPECT_EQ(cucnf::rings(301, 0).size(), 602u);  // odd sizes give exactly n points
}

// The trainer's Adam against Algorithm 1 of Kingma & Ba with bias-corrected moments, which is
// what torch.optim.Adam computes: theta -= lr * m_hat / (sqrt(v_hat) + eps).
TEST(Train, AdamStepsMatchTheBiasCorrectedAlgorithm) {
  const cucnf::Model model = cucnf::Model::initialize({2, 3, 2}, 5);
  cucnf::TrainOptions o = small_batches(16);
  o.solver.method = cucnf::Method::rk4;
  o.solver.step_size = 0.5;
  o.adam = {0.05, 0.8, 0.95, 1e-3};
  const std::vector<double> batch = random_values(32, -1, 1, 2);
  cucnf::Trainer trainer(model, o, cucnf::Device::cpu);
  cucnf::Flow flow(model, cucnf::Device::cpu);
  std::vector<double> theta = model.params(), m(theta.size(), 0.0), v(theta.size(), 0.0);
  for (int t = 1; t <= 3; ++t) {
    flow.set_params(theta);
    const cucnf::GradientResult g = flow.gradient(batch, o.solver);
    const cucnf::IterationReport r = trainer.step(batch);
    EXPECT_EQ(r.iteration, t);
    EXPECT_DOUBLE_EQ(r.loss, g.loss);
    for (std::size_t i = 0; i < theta.size(); ++i) {
      m[i] = 0.8 * m[i] + 0.2 * g.grad[i];
      v[i] = 0.95 * v[i] + 0.05 * g.grad[i] * g.grad[i];
      const double m_hat = m[i] / (1 - std::pow(0.8, t));
      const double v_hat = v[i] / (1 - std::pow(0.95, t));
      theta[i] -= 0.05 * m_hat / (std::sqrt(v_hat) + 1e-3);
    }
    EXPECT_TRUE(all_close(trainer.model().params(), theta, 1e-12, 1e-14)) << "step " << t;
  }
  const cucnf::AdamState s = trainer.adam_state();
  EXPECT_EQ(s.step, 3);
  EXPECT_TRUE(all_close(s.m, m, 1e-12, 1e-14));
  EXPECT_TRUE(all_close(s.v, v, 1e-12, 1e-14));
}

// A few dozen iterations at the seed's settings lower the loss.
TEST(Train, ShortRunLowersTheLoss) {
  cucnf::Trainer trainer(cucnf::Model::initialize({2, 64, 32}, 0), small_batches(128),
                         cucnf::Device::cpu);
  std::vector<double> losses;
  for (int i = 0; i < 30; ++i) {
    const cucnf::IterationReport r = trainer.step();
    EXPECT_GT(r.forward.nfe, 0);
    EXPECT_GT(r.backward.nfe, 0);
    EXPECT_GT(r.seconds, 0.0);
    losses.push_back(r.loss);
  }
  const double first = std::accumulate(losses.begin(), losses.begin() + 5, 0.0) / 5;
  const double last = std::accumulate(losses.end() - 5, losses.end(), 0.0) / 5;
  EXPECT_LT(last, first - 1.0) << "first " << first << " last " << last;
  EXPECT_LT(last, 6.0);
}

TEST(Train, SameSeedSameLossSequence) {
  auto run = [] {
    cucnf::Trainer trainer(cucnf::Model::initialize({2, 16, 8}, 4), small_batches(50),
                           cucnf::Device::cpu);
    std::vector<double> losses;
    for (int i = 0; i < 5; ++i) losses.push_back(trainer.step().loss);
    return losses;
  };
  const std::vector<double> a = run(), b = run();
  EXPECT_EQ(a, b);
  EXPECT_NE(a[0], a[1]);  // fresh batches and updates
}

// Resuming from the saved model and Adam state continues the run exactly.
TEST(Train, ResumeContinuesExactly) {
  const cucnf::TrainOptions o = small_batches(40);
  cucnf::Trainer original(cucnf::Model::initialize({2, 8, 4}, 6), o, cucnf::Device::cpu);
  for (int i = 0; i < 3; ++i) original.step();
  const cucnf::Model saved = cucnf::Model::from_json(original.model().to_json());
  const cucnf::AdamState state = original.adam_state();
  cucnf::Trainer resumed(saved, o, cucnf::Device::cpu);
  resumed.set_adam_state(state);
  EXPECT_EQ(resumed.iteration(), 3);
  for (int i = 0; i < 2; ++i) {
    const cucnf::IterationReport a = original.step(), b = resumed.step();
    EXPECT_EQ(a.iteration, b.iteration);
    EXPECT_EQ(a.loss, b.loss);
  }
  EXPECT_EQ(original.model().params(), resumed.model().params());
}

// A failing iteration names itself and leaves the parameters and Adam's state untouched.
TEST(Train, FailureNamesTheIterationAndChangesNothing) {
  cucnf::TrainOptions o = small_batches(20);
  o.solver.max_num_steps = 1000;
  cucnf::Trainer trainer(cucnf::Model::initialize({2, 8, 4}, 7), o, cucnf::Device::cpu,
                         cucnf::Precision::float64);
  trainer.step();
  const std::vector<double> before = trainer.model().params();
  const cucnf::AdamState adam_before = trainer.adam_state();
  std::vector<double> bad(40, 0.5);
  bad[3] = 1e300;  // finite, but the base density of its end point underflows: loss = inf
  try {
    trainer.step(bad);
    ADD_FAILURE() << "no error";
  } catch (const cucnf::Error& e) {
    EXPECT_EQ(e.kind(), cucnf::ErrorKind::non_finite_state) << e.what();
    EXPECT_NE(std::string(e.what()).find("training iteration 2: the loss is not finite"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(trainer.iteration(), 1);
  EXPECT_EQ(trainer.model().params(), before);
  EXPECT_EQ(trainer.adam_state().m, adam_before.m);
}

TEST(Train, OptionsAreValidated) {
  const cucnf::Model m = cucnf::Model::initialize({2, 4, 3}, 1);
  cucnf::TrainOptions o;
  o.batch_size = 0;
  EXPECT_THROW(cucnf::Trainer(m, o, cucnf::Device::cpu), cucnf::Error);
  o = {};
  o.adam.lr = -1;
  EXPECT_THROW(cucnf::Trainer(m, o, cucnf::Device::cpu), cucnf::Error);
  o = {};
  o.solver.rtol = 0;
  EXPECT_THROW(cucnf::Trainer(m, o, cucnf::Device::cpu), cucnf::Error);
  cucnf::Trainer three_d(cucnf::Model::initialize({3, 4, 3}, 1), {}, cucnf::Device::cpu);
  EXPECT_THROW(three_d.step(), cucnf::Error);  // rings are 2-D
}
