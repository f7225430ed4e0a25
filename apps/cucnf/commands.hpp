// The subcommands of the cucnf program. Each adds itself to the app with a callback that runs
// it once the command line has been parsed; failures surface as cucnf::Error.
#pragma once

#include <CLI/CLI.hpp>
#include <stdexcept>

namespace cucnf::cli {

/// A command stopped by Ctrl-C after saving its work; the program exits with status 130.
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void add_logp_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_grad_command(CLI::App& app);
void add_rings_command(CLI::App& app);

}  // namespace cucnf::cli
