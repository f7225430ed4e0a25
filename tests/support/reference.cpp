#include "reference.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace {

using nlohmann::json;

std::vector<double> flatten(const json& value) {
  std::vector<double> out;
  if (value.is_number()) {
    out.push_back(value.get<double>());
  } else {
    for (const json& item : value) {
      const std::vector<double> part = flatten(item);
      out.insert(out.end(), part.begin(), part.end());
    }
  }
  return out;
}

FixedGridReference fixed(const json& j) {
  return {j.at("step_size").get<double>(), flatten(j.at("z0")), flatten(j.at("logp_diff_t0"))};
}

Reference load() {
  Reference r;
  r.path = std::string(CUCNF_TEST_DATA_DIR) + "/torch_rings_d2_k64.json";
  std::ifstream in(r.path);
  if (!in) throw std::runtime_error("cannot open " + r.path);
  const json doc = json::parse(in);
  r.dim = doc.at("model").at("dim").get<int>();
  r.x = flatten(doc.at("x"));
  r.n = r.x.size() / r.dim;
  const json& d = doc.at("density");
  r.density_z0 = flatten(d.at("z0"));
  r.density_logp_diff = flatten(d.at("logp_diff_t0"));
  r.density_logp = flatten(d.at("logp"));
  const json& s = doc.at("sampling");
  r.sampling_z0 = flatten(s.at("z0"));
  r.sampling_times = flatten(s.at("times"));
  for (const json& z : s.at("z")) r.sampling_z.push_back(flatten(z));
  for (const json& l : s.at("logp_diff")) r.sampling_logp_diff.push_back(flatten(l));
  const json& f = doc.at("fixed_grid");
  r.euler = fixed(f.at("euler"));
  r.midpoint = fixed(f.at("midpoint"));
  r.rk4_38 = fixed(f.at("rk4"));
  r.loss = doc.at("loss").get<double>();
  for (const char* name :
       {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"}) {
    const std::vector<double> g = flatten(doc.at("grad").at(name));
    r.grad.insert(r.grad.end(), g.begin(), g.end());
  }
  return r;
}

}  // namespace

const Reference& reference() {
  static const Reference r = load();
  return r;
}
