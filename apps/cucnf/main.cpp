// cucnf: the command-line program (log-densities, sampling, gradients, the rings demo).
#include <CLI/CLI.hpp>
#include <iostream>
#include <new>

#include "commands.hpp"
#include "cucnf/cucnf.hpp"

int main(int argc, char** argv) {
  CLI::App app{"cucnf " CUCNF_VERSION_STRING
               ": continuous normalising flows with a tanh-planar field, on the GPU or CPU"};
  try {
    app.set_version_flag("--version", std::string(cucnf::version()));
    app.require_subcommand(1);
    cucnf::cli::add_logp_command(app);
    cucnf::cli::add_sample_command(app);
    cucnf::cli::add_grad_command(app);
    cucnf::cli::add_rings_command(app);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cucnf::cli::Interrupted& e) {
    std::cerr << "cucnf: " << e.what() << "\n";
    return 130;
  } catch (const std::bad_alloc&) {  // an allocation the library does not size itself
    std::cerr << "cucnf: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {  // cucnf::Error from a subcommand, or the C++ library
    std::cerr << "cucnf: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
