// A file written under a temporary name beside its destination and renamed over it only when
// complete, so readers never see a half-written picture.
#pragma once

#include <string>

namespace cucnf::cli {

/// Owns "<path>.tmp.<pid>". Write the contents to temp_path(), then call commit(); if commit()
/// is never reached (an exception), the destructor removes the temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

  /// Renames the temporary over path(). Throws cucnf::Error(io) naming path() on failure.
  void commit();

  /// Removes the temporary and throws cucnf::Error(io) "cannot write '<path>': <reason>".
  [[noreturn]] void fail(const std::string& reason);

 private:
  std::string path_;
  std::string temp_path_;
  bool committed_ = false;
};

}  // namespace cucnf::cli
