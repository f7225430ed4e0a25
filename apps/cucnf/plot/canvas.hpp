// A white picture to draw on: a thin owner of a cairo image surface with text helpers and
// atomic PNG output.
#pragma once

#include <cairo.h>

#include <string>

#include "colormap.hpp"

namespace cucnf::cli::plot {

/// Height of DejaVu Sans capitals and digits as a fraction of the font size. Aligning text on it
/// (rather than on each string's ink) keeps labels such as "0" and "-2" level.
constexpr double kFontCapHeight = 0.729;

/// Where a text's anchor point lies on the text, along one direction.
enum class Align { start, centre, end };

/// How draw_text() sets a string. Vertical alignment uses the font's cap height, not each
/// string's ink, so labels set side by side share a baseline.
struct TextStyle {
  double size = 12.0;  ///< font size in pixels
  bool bold = false;
  Rgb colour{0.13, 0.13, 0.13};
  Align horizontal = Align::start;  ///< start: the anchor is at the text's left end
  Align vertical = Align::end;      ///< end: the anchor is on the baseline; start: at cap top
  bool rotated = false;             ///< turned 90 degrees anticlockwise (reads upwards)
};

/// Sets the cairo source colour.
void set_colour(cairo_t* cr, const Rgb& colour, double alpha = 1.0);

class Canvas {
 public:
  /// A width x height ARGB32 picture filled white. Throws cucnf::Error if cairo cannot make it.
  Canvas(int width, int height);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }
  cairo_t* context() const { return cr_; }
  cairo_surface_t* surface() const { return surface_; }

  /// Sets text in "DejaVu Sans" with its anchor at (x, y); anti-aliased.
  void draw_text(double x, double y, const std::string& text, const TextStyle& style);

  /// The advance width of text in pixels, as draw_text() would set it.
  double text_width(const std::string& text, double size, bool bold);

  /// Writes the picture as PNG to path, atomically. Throws cucnf::Error(io) naming path.
  void write_png(const std::string& path) const;

 private:
  void select_font(double size, bool bold);

  int width_;
  int height_;
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

}  // namespace cucnf::cli::plot
