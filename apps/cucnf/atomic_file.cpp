// AtomicFile: write to a temporary beside the destination, then rename(2) over it.
#include "atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "cucnf/error.hpp"

namespace cucnf::cli {

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), temp_path_(path_ + ".tmp." + std::to_string(::getpid())) {}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicFile::commit() {
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) fail(std::strerror(errno));
  committed_ = true;
}

void AtomicFile::fail(const std::string& reason) {
  std::remove(temp_path_.c_str());
  throw Error(ErrorKind::io, "cannot write '" + path_ + "': " + reason);
}

}  // namespace cucnf::cli
