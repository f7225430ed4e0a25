// A file written under a temporary name beside its destination and renamed over it only when
// complete and synced, so readers (and a crash) never see a half-written file. FIFOs and
// devices are written directly, symbolic links are followed: neither is ever replaced.
#pragma once

#include <string>

#include "durable_file.hpp"

namespace cucnf::cli {

/// Owns the temporary "<path>.tmp.<pid>". Write the contents to write_path(), then call
/// commit(); if commit() is never reached (an exception), the destructor removes the temporary.
class AtomicFile {
 public:
  /// Throws cucnf::Error(io) naming `path` when it cannot be written (a directory, ...).
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  /// The file to write: the temporary, or the destination itself when it is not a regular file.
  const std::string& write_path() const { return target_.write_path; }

  /// Syncs the temporary, renames it over the destination and syncs the directory. Throws
  /// cucnf::Error(io) naming path() on failure.
  void commit();

  /// Removes the temporary and throws cucnf::Error(io) "cannot write '<path>': <reason>".
  [[noreturn]] void fail(const std::string& reason);

 private:
  void remove_temporary() const;

  std::string path_;
  detail::OutputTarget target_;
  bool committed_ = false;
};

/// Removes "<name>.tmp.<pid>" files in `dir` left by processes that no longer exist (a run
/// killed while saving). Returns how many it removed.
int remove_stale_temporaries(const std::string& dir);

}  // namespace cucnf::cli
