// A host program linking libcucnf: loads (or creates) a model, evaluates log-densities, draws
// samples, evaluates log-densities of points already on the GPU (device_arrays.cpp, where the
// CUDA toolkit was found at build time), and trains a few iterations on the rings data.
//
//   host_example [model.json] [--device cpu|cuda|auto]
#include <cucnf/cucnf.hpp>

#include <cstdio>
#include <exception>
#include <string>

#if HOST_EXAMPLE_WITH_CUDA
void device_arrays_example(const cucnf::Model& model);  // device_arrays.cpp
#else
void device_arrays_example(const cucnf::Model&) {
  std::printf("device arrays: built without the CUDA toolkit, skipped\n");
}
#endif

int main(int argc, char** argv) {
  std::string model_path;
  cucnf::Device device = cucnf::Device::automatic;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--device" && i + 1 < argc) {
      device = cucnf::parse_device(argv[++i]);
    } else {
      model_path = arg;
    }
  }
  try {
    std::printf("cucnf %s (headers %s)\n", cucnf::version(), CUCNF_VERSION_STRING);
    const cucnf::Model model = model_path.empty()
                                   ? cucnf::Model::initialize({2, 64, 32}, /*seed=*/1)
                                   : cucnf::Model::load(model_path);
    cucnf::Flow flow(model, device);
    std::printf("device: %s\n", flow.device_description().c_str());

    // log p(x) of a few points (N x D, row-major).
    const std::vector<double> x = {0.5, -0.25, 1.0, 2.0, -3.0, 0.1};
    cucnf::SolverOptions options;  // dopri5, rtol = atol = 1e-5
    const cucnf::LogProbResult lp = flow.log_prob(x, options);
    for (std::size_t i = 0; i < lp.log_prob.size(); ++i)
      std::printf("log p(%g, %g) = %.6f\n", x[2 * i], x[2 * i + 1], lp.log_prob[i]);
    std::printf("solve: %lld evaluations, %lld accepted / %lld rejected steps\n",
                static_cast<long long>(lp.stats.nfe), static_cast<long long>(lp.stats.accepted),
                static_cast<long long>(lp.stats.rejected));

    // Samples with their log-densities.
    const cucnf::SampleResult s = flow.sample(3, /*seed=*/7, options);
    for (std::size_t i = 0; i < 3; ++i)
      std::printf("sample (%g, %g), log p = %.6f\n", s.x[2 * i], s.x[2 * i + 1], s.log_prob[i]);

    // The same solve on arrays that live on the GPU, through the device-array API.
    device_arrays_example(model);

    // A few training iterations with the seed's settings (smaller batches here).
    cucnf::TrainOptions train;
    train.batch_size = 100;
    cucnf::Trainer trainer(model, train, device);
    for (int it = 0; it < 3; ++it) {
      const cucnf::IterationReport r = trainer.step();
      std::printf("iteration %lld: loss %.4f, nfe forward %lld backward %lld\n",
                  static_cast<long long>(r.iteration), r.loss,
                  static_cast<long long>(r.forward.nfe), static_cast<long long>(r.backward.nfe));
    }
  } catch (const cucnf::Error& e) {
    std::fprintf(stderr, "error (%s): %s\n", cucnf::error_kind_name(e.kind()), e.what());
    return 1;
  } catch (const std::exception& e) {  // the CUDA runtime's errors in device_arrays.cpp
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
