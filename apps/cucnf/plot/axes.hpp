// One panel of a figure: a rectangle on a Canvas with data coordinates, onto which density
// images, points and lines are drawn, framed by axes with ticks, labels and a title.
#pragma once

#include <string>
#include <vector>

#include "canvas.hpp"
#include "colormap.hpp"

namespace cucnf::cli::plot {

/// A rectangle in pixels; y grows downwards.
struct Rect {
  double x = 0.0, y = 0.0, width = 0.0, height = 0.0;
};

/// An interval of data values, lo < hi.
struct Range {
  double lo = 0.0, hi = 1.0;
};

struct LineStyle {
  double width = 1.0;
  Rgb colour{0.2, 0.2, 0.2};
  double alpha = 1.0;
  double dash = 0.0;  ///< dash and gap length in pixels; 0 draws a solid line
};

/// Which side of a panel a vertical axis' tick labels go.
enum class Side { left, right };

constexpr Rgb kTextColour{0.13, 0.13, 0.13};
constexpr Rgb kFrameColour{0.27, 0.27, 0.27};

class Axes {
 public:
  /// The panel `area` of `canvas` shows x in `x` (left to right) and y in `y` (bottom to top).
  Axes(Canvas& canvas, Rect area, Range x, Range y);

  const Rect& area() const { return area_; }
  double pixel_x(double x) const;
  double pixel_y(double y) const;

  void fill(const Rgb& colour);

  /// Colour-maps ny rows of nx values covering [x.lo, x.hi] x [y.lo, y.hi], row 0 at the top,
  /// each value a cell, smoothed bilinearly. Values are clipped below at 0 and scaled so the
  /// largest is yellow; non-finite values count as 0. Returns that largest value (0 when none
  /// is positive, and then the image is all dark purple).
  double draw_density(const std::vector<double>& values, int nx, int ny, Range x, Range y);

  /// Draws each (x, y) of the row-major pairs in xy as a dot of the given radius in pixels.
  void draw_points(const std::vector<double>& xy, double radius, const Rgb& colour);

  /// A polyline through (xs[i], ys[i]); a non-finite value breaks it.
  void draw_line(const std::vector<double>& xs, const std::vector<double>& ys,
                 const LineStyle& style);
  void draw_horizontal_line(double y, const LineStyle& style);

  /// The frame around the panel.
  void draw_frame();

  /// Outward ticks with labels below the panel (x) or beside it (y). The tick count is the
  /// largest that keeps neighbouring labels apart.
  void draw_x_ticks(double font_size);
  void draw_y_ticks(double font_size, Side side = Side::left);

  /// Bottom of the x tick labels and outer edge of the y tick labels drawn so far, so axis
  /// labels can be placed clear of them.
  double x_ticks_bottom() const { return x_ticks_bottom_; }
  double y_ticks_outer_edge() const { return y_ticks_outer_edge_; }

  void draw_x_label(const std::string& label, double font_size);
  void draw_y_label(const std::string& label, double font_size);
  /// Centred above the panel, its baseline `gap` pixels above the frame.
  void draw_title(const std::string& title, double font_size, double gap = 8.0);

 private:
  Canvas& canvas_;
  Rect area_;
  Range x_;
  Range y_;
  double x_ticks_bottom_;
  double y_ticks_outer_edge_;
};

/// A vertical colour bar for densities in [0, vmax] in `area`, ticks on its right.
void draw_colour_bar(Canvas& canvas, Rect area, double vmax, double font_size);

}  // namespace cucnf::cli::plot
