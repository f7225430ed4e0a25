// Replacing a file so that readers, crashes and power losses see the old contents or the new,
// never a mix: write a temporary beside it, fsync it, rename(2) it over, fsync the directory.
// Paths that are not regular files (FIFOs, devices) are written directly, and symbolic links
// are followed, so they are never replaced by a regular file.
#pragma once

#include <string>

namespace cucnf::detail {

/// Where the bytes for `path` go.
struct OutputTarget {
  std::string destination;  ///< `path`, or the file a symbolic link points to
  std::string write_path;   ///< the temporary beside it, or the destination when written directly
  bool direct = false;      ///< a FIFO, a character or block device: written in place
};

/// Resolves `path` (following symbolic links) and names the temporary: "<name>.tmp.<pid>" in
/// the destination's directory, <name> shortened so the whole name fits in 255 bytes. Throws
/// Error(io) naming `path` for a directory, a socket or a link to a missing directory.
OutputTarget resolve_output(const std::string& path);

/// For a temporary: fsyncs it, renames it over the destination and fsyncs the directory.
/// Nothing for a direct target. Throws Error(io) naming `path` (and removes the temporary).
void commit_output(const OutputTarget& target, const std::string& path);

/// Writes `text` to `path` as above. Throws Error(io) naming `path`.
void write_file_durably(const std::string& path, const std::string& text);

}  // namespace cucnf::detail
