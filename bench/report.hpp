// The table and the JSON file of cucnf-bench, with the peers' figures from design §6.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "benchmarks.hpp"

namespace cucnf::bench {

/// A peer's published time for the same work (design §6, NVIDIA H100 80GB HBM3).
struct Peer {
  std::string name;
  double ms;
};

/// The peers' figures for a measurement's work, matched by its kind and size.
std::vector<Peer> peers_for(const Measurement& m);

/// Prints the table (median, floor, ratio to the floor and to each peer). The peers' GPU
/// figures are shown for GPU runs only.
void print_table(const std::string& device, bool gpu, const std::vector<Measurement>& results);
nlohmann::json to_json(const std::string& device, bool gpu,
                       const std::vector<Measurement>& results);

}  // namespace cucnf::bench
