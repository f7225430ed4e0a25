// AtomicFile: write to a temporary beside the destination, then rename(2) over it.
#include "atomic_file.hpp"

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <utility>

#include "cucnf/error.hpp"

namespace cucnf::cli {

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), target_(detail::resolve_output(path_)) {}

AtomicFile::~AtomicFile() {
  if (!committed_) remove_temporary();
}

void AtomicFile::remove_temporary() const {
  if (!target_.direct) std::remove(target_.write_path.c_str());
}

void AtomicFile::commit() {
  detail::commit_output(target_, path_);
  committed_ = true;
}

void AtomicFile::fail(const std::string& reason) {
  remove_temporary();
  committed_ = true;
  throw Error(ErrorKind::io, "cannot write '" + path_ + "': " + reason);
}

int remove_stale_temporaries(const std::string& dir) {
  namespace fs = std::filesystem;
  static const std::regex kTemporary(R"(.+\.tmp\.([0-9]{1,9}))");
  int removed = 0;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(error) || !std::regex_match(name, match, kTemporary)) continue;
    const pid_t pid = pid_t(std::stol(match[1].str()));
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // its writer may still be running
    removed += fs::remove(entry.path(), error) ? 1 : 0;
  }
  return removed;
}

}  // namespace cucnf::cli
