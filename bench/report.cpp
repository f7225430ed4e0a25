#include "report.hpp"

#include <cstdio>
#include <ctime>

#include "cucnf/version.hpp"

namespace cucnf::bench {

std::vector<Peer> peers_for(const Measurement& m) {
  const bool train = m.name.rfind("train iteration", 0) == 0;
  const bool trained = m.name.find("trained") != std::string::npos;
  if (train && !trained) return {{"torchdiffeq 0.2.5", 680.0}, {"diffrax 0.7.2 backsolve", 28.0}};
  if (train && trained) return {{"torchdiffeq 0.2.5 (late)", 2000.0}};
  if (m.name.rfind("log p", 0) == 0 && m.points == 100000)
    return {{"torchdiffeq 0.2.5", 430.0}, {"diffrax 0.7.2", 40.0}};
  if (m.name.rfind("log p", 0) == 0 && m.points == 1000000) return {{"diffrax 0.7.2", 423.0}};
  return {};
}

void print_table(const std::string& device, bool gpu, const std::vector<Measurement>& results) {
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  std::printf("cucnf-bench %s on %s, %s (medians of %s timings after warm-up)\n\n",
              CUCNF_VERSION_STRING, device.c_str(), date, gpu ? "CUDA-event" : "host-clock");
  std::printf("%-58s %11s %9s %13s %9s %10s  %s\n", "work", "median ms", "steps", "nfe fwd/bwd",
              "peak MB", "x floor", "peers (design 6, H100)");
  for (const Measurement& m : results) {
    char nfe[32], ratio[32];
    std::snprintf(nfe, sizeof nfe, "%.0f/%.0f", m.nfe_forward, m.nfe_backward);
    if (m.floor_ms > 0) {
      std::snprintf(ratio, sizeof ratio, "%.1f", m.median_ms / m.floor_ms);
    } else {
      std::snprintf(ratio, sizeof ratio, "-");
    }
    std::string peers;
    for (const Peer& p : gpu ? peers_for(m) : std::vector<Peer>()) {
      char cell[96];
      std::snprintf(cell, sizeof cell, "%s%s %.0f ms (%.1fx)", peers.empty() ? "" : ", ",
                    p.name.c_str(), p.ms, p.ms / m.median_ms);
      peers += cell;
    }
    std::printf("%-58s %11.3f %9.0f %13s %9.2f %10s  %s\n", m.name.c_str(), m.median_ms, m.steps,
                nfe, m.peak_mb, ratio, peers.c_str());
  }
  std::printf(
      "\nx floor: median over the floor for the same work (the note in the JSON says "
      "which floor); peers: their time over ours.\n");
}

nlohmann::json to_json(const std::string& device, bool gpu,
                       const std::vector<Measurement>& results) {
  nlohmann::json out;
  out["version"] = CUCNF_VERSION_STRING;
  out["device"] = device;
  out["timing"] = gpu ? "CUDA events on the backend's stream" : "host clock";
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  out["date"] = date;
  nlohmann::json rows = nlohmann::json::array();
  for (const Measurement& m : results) {
    nlohmann::json peers = nlohmann::json::array();
    for (const Peer& p : gpu ? peers_for(m) : std::vector<Peer>())
      peers.push_back({{"name", p.name}, {"ms", p.ms}, {"ratio", p.ms / m.median_ms}});
    rows.push_back(
        {{"name", m.name},
         {"median_ms", m.median_ms},
         {"cpu_ms", m.cpu_ms},
         {"min_ms", m.min_ms},
         {"max_ms", m.max_ms},
         {"repeats", m.repeats},
         {"points", m.points},
         {"steps", m.steps},
         {"nfe_forward", m.nfe_forward},
         {"nfe_backward", m.nfe_backward},
         {"ms_per_point", m.points ? m.median_ms / double(m.points) : 0.0},
         {"ms_per_stage_per_1e6", m.nfe_forward > 0 && m.points
                                      ? m.median_ms / m.nfe_forward * 1e6 / double(m.points)
                                      : 0.0},
         {"peak_device_mb", m.peak_mb},
         {"floor_ms", m.floor_ms},
         {"floor_note", m.floor_note},
         {"peers", peers}});
  }
  out["results"] = rows;
  return out;
}

}  // namespace cucnf::bench
