// The subcommands of the cucnf program. Each adds itself to the app with a callback that runs
// it once the command line has been parsed; failures surface as cucnf::Error.
#pragma once

#include <CLI/CLI.hpp>

namespace cucnf::cli {

void add_logp_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_grad_command(CLI::App& app);

}  // namespace cucnf::cli
