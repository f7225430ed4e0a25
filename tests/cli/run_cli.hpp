// Runs the command-line program as a user would, for the CLI tests (CUCNF_CLI is its path).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace cucnf_test {

struct CliResult {
  int code;
  std::string out;  // standard output and error together, unless the command redirects them
};

/// Runs "cucnf <args>" through the shell; `redirect` replaces the default "2>&1".
inline CliResult run_cli(const std::string& args, const std::string& redirect = "2>&1") {
  const std::string command = std::string(CUCNF_CLI) + " " + args + " " + redirect;
  FILE* pipe = popen(command.c_str(), "r");
  CliResult r{-1, ""};
  if (!pipe) return r;
  std::array<char, 4096> buffer;
  while (std::fgets(buffer.data(), buffer.size(), pipe)) r.out += buffer.data();
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace cucnf_test
