// Animated GIF output through giflib: each frame quantised to its own 256-colour palette, looping
// forever.
#pragma once

#include <gif_lib.h>

#include <string>

#include "atomic_file.hpp"
#include "canvas.hpp"

namespace cucnf::cli::plot {

/// Writes frames to "<path>.tmp.<pid>" as they come and renames it over path in finish().
/// Every failure throws cucnf::Error(io) naming path and removes the temporary.
class GifWriter {
 public:
  /// Starts a width x height animation that loops forever.
  GifWriter(const std::string& path, int width, int height);
  ~GifWriter();
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;

  /// Appends the canvas (which must be width x height) shown for delay_cs hundredths of a second.
  void add_frame(const Canvas& canvas, int delay_cs);

  /// Writes the trailer, closes the file and renames it into place.
  void finish();

 private:
  [[noreturn]] void fail(const std::string& what, int gif_error);

  AtomicFile file_;
  int width_;
  int height_;
  GifFileType* gif_ = nullptr;
};

}  // namespace cucnf::cli::plot
